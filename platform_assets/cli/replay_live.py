"""`platform-assets replay-live`: a past day's events pushed to the prediction service in time
order, so that live serving can be watched on the demo data.

The online store is first rewound to the day's start (the keyed views materialized up to its
local midnight, the live events as known then), then each departure is pushed when it becomes
known and each weather observation when it becomes available, `speed` times faster than real
time (0: as fast as the service takes them). The events come from the event files under the
data root (`features/flight_events`, `features/weather_events`), never the warehouse.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd

from platform_assets.lib.features.catalog import FeatureCatalog
from platform_assets.lib.features.live_events import read_event_files, state_at, write_rows
from platform_assets.lib.features.live_state import WEATHER_COLUMNS, local_day_start
from platform_assets.lib.paths import DataPaths

BATCH_MINUTES = 1  # the events of one minute go in one request


def rewind(paths: DataPaths, day: date) -> datetime:
    """Set the online store as it stood when `day` started; returns that instant."""
    from platform_assets.lib.features.feast_repo import materialize, open_store

    start = local_day_start(day)
    catalog = FeatureCatalog.from_manifest()
    store = open_store(paths.feast)
    # every row a TTL still serves at the start comes from this window; a row written later
    # for a key without one in it is newer than any prediction time of the day, and the
    # service's TTL and known-at checks refuse it, as the batch retrieval has no row
    longest = max(view.ttl for view in catalog.views.values())
    materialize(store, catalog, start - longest - timedelta(days=1), start)
    write_rows(store, state_at(paths.feature_files, start))
    return start


def _iso(value) -> str:
    return pd.Timestamp(value).tz_convert(UTC).isoformat()


def day_events(paths: DataPaths, day: date) -> list[tuple[datetime, str, dict]]:
    """(when, route, event) of the day's departures (when each became known) and weather
    observations (when each became available), in time order."""
    start, end = local_day_start(day), local_day_start(day + timedelta(days=1))
    flights, weather = read_event_files(paths.feature_files, day - timedelta(days=2), day)
    departed = flights.dropna(subset=["departed_at_utc"])
    known = np.maximum(departed["departed_at_utc"], departed["scheduled_departure_utc"])
    events = []
    for row, at in zip(departed.itertuples(), known, strict=True):
        if start <= at < end:
            event = {
                "carrier": row.carrier,
                "flight_number": int(row.flight_number),
                "origin": row.origin,
                "scheduled_departure": _iso(row.scheduled_departure_utc),
                "departed_at": _iso(row.departed_at_utc),
            }
            if isinstance(row.tailnum, str):
                event["tailnum"] = row.tailnum
            events.append((at.to_pydatetime(), "/v1/events/departures", event))
    for row in weather.to_dict("records"):
        available = row["observed_at_utc"] + timedelta(hours=1)
        if start <= available < end:
            event = {"origin": row["origin"], "observed_at": _iso(row["observed_at_utc"])}
            event |= {c: None if pd.isna(row[c]) else float(row[c]) for c in WEATHER_COLUMNS}
            events.append((available.to_pydatetime(), "/v1/events/weather", event))
    return sorted(events, key=lambda e: (e[0], e[1]))


def _batches(events, until: datetime | None) -> Iterator[tuple[datetime, str, list[dict]]]:
    batch: list[dict] = []
    for position, (at, route, event) in enumerate(events):
        if until is not None and at >= until:
            break
        batch.append(event)
        following = events[position + 1] if position + 1 < len(events) else None
        if (
            following is None
            or following[1] != route
            or following[0] - at >= timedelta(minutes=BATCH_MINUTES)
        ):
            yield at, route, batch
            batch = []


def _post(url: str, body: list[dict]) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()


def replay_live(
    paths: DataPaths,
    day: date,
    service: str,
    speed: float,
    until: datetime | None = None,
    say=print,
) -> int:
    """Rewind, then push the day's events (those before `until`, if given); returns how many."""
    start = rewind(paths, day)
    say(f"Online store rewound to {start.isoformat()}; pushing {day}'s events to {service}")
    began, pushed = time.monotonic(), 0
    for at, route, batch in _batches(day_events(paths, day), until):
        if speed:
            due = began + (at - start).total_seconds() / speed
            time.sleep(max(0.0, due - time.monotonic()))
        _post(f"{service.rstrip('/')}{route}", batch)
        pushed += len(batch)
    say(f"Pushed {pushed} events.")
    return pushed
