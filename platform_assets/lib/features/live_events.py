"""The live events in Feast's online store: what the service evaluates the live views from.

`origin_live` and `plane_last_departure` are functions of the instant they are asked at
(lib/features/live_state.py), so the online store cannot hold them as one row per entity.
It holds instead each entity's recent events, as arrays in one row, written by Feast pushes:
- `origin_flights_live` (per origin): the timetable (carrier, flight number, scheduled minute)
  and each flight's departure minute once it is known (`NOT_DEPARTED` until then);
- `origin_weather_live` (per origin): the observations (observed and available minutes, the
  nine measures, NaN where not measured);
- `plane_departures_live` (per tail number): its departures (event minute, the minute after
  the departure became known; scheduled minute; departure delay).
Times are whole minutes since 1970-01-01 UTC. Every worker and replica reads the same rows.

They are written by the same rules as the dbt views they stand for: `state_at` gives every
row as known at an instant from the event files (the nightly `features/online_store` asset
writes the state at its last day's end; `replay-live` rewinds to a day's start), and
`push_departures` and `push_weather` add events to the rows read back (the service's
`POST /v1/events/...`). Events older than `HORIZON_MINUTES` before the newest are dropped:
no live view looks back further than 12 hours.

These views are registered with Feast (their names are part of the online store's layout)
but are never materialized from their batch source: their rows come only from pushes.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from platform_assets.lib.features.feature_files import FLIGHT_EVENTS_FOLDER, WEATHER_EVENTS_FOLDER
from platform_assets.lib.features.live_state import (
    LOCAL_ZONE,
    NOT_DEPARTED,
    WEATHER_COLUMNS,
    OriginEvents,
    epoch_minute,
)

ORIGIN_FLIGHTS = "origin_flights_live"
ORIGIN_WEATHER = "origin_weather_live"
PLANE_DEPARTURES = "plane_departures_live"
HORIZON_MINUTES = 24 * 60
EVENT_TIMESTAMP = "event_timestamp"
WEATHER_AVAILABLE_AFTER_MINUTES = 60  # stg_weather: an hour's observation is usable an hour on

FIELDS = {
    ORIGIN_FLIGHTS: {
        "carrier": "String", "flight_number": "Int64", "scheduled_at": "Int64",
        "departed_at": "Int64",
    },
    ORIGIN_WEATHER: {
        "observed_at": "Int64", "available_at": "Int64",
        **dict.fromkeys(WEATHER_COLUMNS, "Float64"),
    },
    PLANE_DEPARTURES: {"event_at": "Int64", "scheduled_at": "Int64", "dep_delay": "Float64"},
}  # fmt: skip
ENTITY = {ORIGIN_FLIGHTS: "origin", ORIGIN_WEATHER: "origin", PLANE_DEPARTURES: "tailnum"}
# what identifies one event within its entity: a pushed event replaces the one it names
EVENT_KEY = {
    ORIGIN_FLIGHTS: ["carrier", "flight_number", "scheduled_at"],
    ORIGIN_WEATHER: ["observed_at"],
    PLANE_DEPARTURES: ["event_at"],
}


def feast_live_views(repo: Path, entities: dict) -> list:
    """The three views with their push sources. Feast requires a batch source behind a push
    source; these views are never materialized, so theirs (under the repository) stays empty."""
    from feast import FeatureView, Field, FileSource, PushSource
    from feast.data_format import ParquetFormat
    from feast.types import Array, Float64, Int64, String

    types = {"Int64": Int64, "Float64": Float64, "String": String}
    views = []
    for name, fields in FIELDS.items():
        batch = FileSource(
            name=f"{name}_files",
            path=str(repo / "live_events" / f"{name}.parquet"),
            timestamp_field=EVENT_TIMESTAMP,
            file_format=ParquetFormat(),
        )
        views.append(
            FeatureView(
                name=name,
                description=f"Recent events per {ENTITY[name]}, written by pushes only "
                "(lib/features/live_events.py); the service evaluates the live views from them.",
                owner="team:ml-platform",
                entities=[entities[ENTITY[name]]],
                ttl=timedelta(0),
                schema=[Field(name=f, dtype=Array(types[t])) for f, t in fields.items()],
                source=PushSource(name=f"{name}_push", batch_source=batch),
                online=True,
            )
        )
    return views


def minutes(column: pd.Series) -> np.ndarray:
    """Epoch minutes of a timestamp column, NOT_DEPARTED where it is empty."""
    values = pd.to_datetime(column, utc=True).dt.tz_localize(None)
    whole = values.to_numpy(dtype="datetime64[m]").astype(np.int64)
    return np.where(column.isna(), NOT_DEPARTED, whole)


def _known_at(scheduled: np.ndarray, departed: np.ndarray) -> np.ndarray:
    """int_flight_times' departure_known_at: the later of the departure and the schedule."""
    return np.where(departed == NOT_DEPARTED, NOT_DEPARTED, np.maximum(departed, scheduled))


def read_event_files(event_files: Path, first: date, last: date) -> tuple[pd.DataFrame, ...]:
    """The flight and weather events of days first..last (the files that exist; none is an
    error naming the asset that writes them)."""
    frames = []
    for folder in (FLIGHT_EVENTS_FOLDER, WEATHER_EVENTS_FOLDER):
        days = pd.date_range(first, last).date
        paths = [p for d in days if (p := event_files / folder / f"{d}.parquet").exists()]
        if not paths:
            raise FileNotFoundError(
                f"No event files for {first}..{last} in {event_files / folder}: materialize "
                "features/feature_files for those days first."
            )
        frames.append(pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True))
    return tuple(frames)


def flight_events(flights: pd.DataFrame) -> pd.DataFrame:
    """Flights (int_flight_times columns) as event rows: minutes, NOT_DEPARTED if never left."""
    return pd.DataFrame(
        {
            "origin": flights["origin"].to_numpy(),
            "tailnum": flights["tailnum"].to_numpy(),
            "carrier": flights["carrier"].to_numpy(),
            "flight_number": flights["flight_number"].astype("int64").to_numpy(),
            "scheduled_at": minutes(flights["scheduled_departure_utc"]),
            "departed_at": minutes(flights["departed_at_utc"]),
        }
    )


def weather_events(weather: pd.DataFrame) -> pd.DataFrame:
    """Observations (stg_weather columns) as event rows."""
    observed = minutes(weather["observed_at_utc"])
    return pd.DataFrame(
        {
            "origin": weather["origin"].to_numpy(),
            "observed_at": observed,
            "available_at": observed + WEATHER_AVAILABLE_AFTER_MINUTES,
            **{c: weather[c].astype(float).to_numpy() for c in WEATHER_COLUMNS},
        }
    )


def plane_events(flights: pd.DataFrame) -> pd.DataFrame:
    """The departed flights (event rows) as plane_last_departure's events."""
    known = _known_at(flights["scheduled_at"].to_numpy(), flights["departed_at"].to_numpy())
    departed = (known != NOT_DEPARTED) & flights["tailnum"].notna().to_numpy()
    rows = flights[departed]
    return pd.DataFrame(
        {
            "tailnum": rows["tailnum"].to_numpy(),
            "event_at": known[departed] + 1,
            "scheduled_at": rows["scheduled_at"].to_numpy(),
            "dep_delay": (rows["departed_at"] - rows["scheduled_at"]).astype(float).to_numpy(),
        }
    )


def _as_known_at(flights: pd.DataFrame, weather: pd.DataFrame, instant: int):
    """The event rows as known at minute `instant`: departures not yet known are
    NOT_DEPARTED, observations not yet available are left out."""
    known = _known_at(flights["scheduled_at"].to_numpy(), flights["departed_at"].to_numpy())
    flights = flights.assign(
        departed_at=np.where(known < instant, flights["departed_at"], NOT_DEPARTED)
    )
    return flights, weather[weather["available_at"] <= instant]


def _event_minutes(view: str, events: pd.DataFrame) -> np.ndarray:
    """When each event happened (a flight not departed: NOT_DEPARTED)."""
    if view == ORIGIN_FLIGHTS:
        return _known_at(events["scheduled_at"].to_numpy(), events["departed_at"].to_numpy())
    return events["available_at" if view == ORIGIN_WEATHER else "event_at"].to_numpy()


def _prune(view: str, events: pd.DataFrame, newest: int) -> pd.DataFrame:
    """Drop the events no live view can use once `newest` is the newest event (a flight of
    the timetable stays while its scheduled time is in the horizon)."""
    oldest = newest - HORIZON_MINUTES
    kept = _event_minutes(view, events) >= oldest
    if view == ORIGIN_FLIGHTS:
        kept |= events["scheduled_at"].to_numpy() >= oldest
    return events[kept]


def _order(view: str, events: pd.DataFrame) -> pd.DataFrame:
    """One event per entity and key (the latest written wins; a plane's two departures known
    in the same minute keep the later scheduled one, as plane_last_departure.sql does), in
    key order."""
    key = [ENTITY[view], *EVENT_KEY[view]]
    if view == PLANE_DEPARTURES:
        events = events.sort_values(["event_at", "scheduled_at"], kind="stable")
    return events.drop_duplicates(key, keep="last").sort_values(key)


def _rows_of(view: str, events: pd.DataFrame, newest: int) -> pd.DataFrame:
    """The online rows of a view from its event rows (one row per entity, arrays of events)."""
    entity = ENTITY[view]
    events = _order(view, _prune(view, events, newest))
    grouped = events.groupby(entity, sort=True)
    rows = pd.DataFrame({f: grouped[f].agg(list) for f in FIELDS[view]}).reset_index()
    rows[EVENT_TIMESTAMP] = datetime.fromtimestamp(newest * 60, UTC)
    return rows


def state_at(event_files: Path, instant: datetime) -> dict[str, pd.DataFrame]:
    """Every row of the three views as known at `instant`, from the event files of the days
    around it (its local day's timetable and the next day's, if there: a timetable is known
    from the day before, as origin_timetable.sql has it)."""
    day = instant.astimezone(LOCAL_ZONE).date()
    flights, weather = read_event_files(
        event_files, day - timedelta(days=2), day + timedelta(days=1)
    )
    return state_rows(flight_events(flights), weather_events(weather), epoch_minute(instant))


def state_rows(flights: pd.DataFrame, weather: pd.DataFrame, instant: int) -> dict:
    """Every row of the three views as known at minute `instant`, from the event rows of
    `flight_events` and `weather_events` (the days around it)."""
    oldest = instant - HORIZON_MINUTES
    flights, weather = _as_known_at(flights, weather, instant)
    # every plane of these days gets a row, one without a departure in the horizon too: it
    # replaces what a later state wrote (replay-live rewinds), with an event no view can use
    placeholder = pd.DataFrame(
        {"tailnum": flights["tailnum"].dropna().unique(), "event_at": oldest,
         "scheduled_at": oldest, "dep_delay": np.nan}
    )  # fmt: skip
    planes = pd.concat([placeholder, plane_events(flights)], ignore_index=True)
    return {
        ORIGIN_FLIGHTS: _rows_of(ORIGIN_FLIGHTS, flights, instant),
        ORIGIN_WEATHER: _rows_of(ORIGIN_WEATHER, weather, instant),
        PLANE_DEPARTURES: _rows_of(PLANE_DEPARTURES, planes, instant),
    }


def _unrolled(view: str, rows: pd.DataFrame) -> pd.DataFrame:
    """Event rows from online rows (the inverse of `_rows_of`)."""
    fields = list(FIELDS[view])
    rows = rows.dropna(subset=[fields[0]])
    if rows.empty:
        return pd.DataFrame(columns=[ENTITY[view], *fields])
    return (
        rows[[ENTITY[view], *fields]]
        .explode(fields, ignore_index=True)
        .astype(
            {
                f: "int64" if t == "Int64" else float
                for f, t in FIELDS[view].items()
                if t != "String"
            }
        )
    )


def origin_events(flights: dict[str, list], weather: dict[str, list]) -> OriginEvents:
    """What live_state evaluates origin_live from, out of one origin's two online rows."""
    scheduled = np.asarray(flights.get("scheduled_at") or [], dtype=np.int64)
    departed = np.asarray(flights.get("departed_at") or [], dtype=np.int64)
    known = _known_at(scheduled, departed)
    gone = known != NOT_DEPARTED
    return OriginEvents(
        departure_known_at=known[gone],
        departure_delays=(departed[gone] - scheduled[gone]).astype(float),
        scheduled_at=scheduled,
        departed_at=departed,
        weather_available_at=weather.get("available_at") or [],
        weather_observed_at=weather.get("observed_at") or [],
        weather={c: weather.get(c) or [] for c in WEATHER_COLUMNS},
    )


@contextmanager
def _locked(store) -> Iterator[None]:
    """Pushes read and write whole rows: one at a time across the processes of this machine
    (the service's workers, replay-live). Replicas on several machines need one writer."""
    with (Path(store.repo_path) / "live_events.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def write_rows(store, rows: dict[str, pd.DataFrame]) -> None:
    """Push whole rows (`state_at`), replacing those of their entities."""
    from feast.data_source import PushMode

    with _locked(store):
        for view, frame in rows.items():
            if len(frame):
                store.push(f"{view}_push", frame, to=PushMode.ONLINE)


def read_rows(store, view: str, keys: Sequence[str]) -> pd.DataFrame:
    """The online rows of `keys` (None in every field for a key without a row)."""
    response = store.get_online_features(
        features=[f"{view}:{field}" for field in FIELDS[view]],
        entity_rows=[{ENTITY[view]: key} for key in keys],
    ).to_dict()
    return pd.DataFrame(response)


def _merge(store, view: str, events: pd.DataFrame) -> pd.DataFrame:
    """The rows of the pushed events' entities with the events added."""
    entity = ENTITY[view]
    current = _unrolled(view, read_rows(store, view, sorted(events[entity].unique())))
    combined = pd.concat([current, events[[entity, *FIELDS[view]]]], ignore_index=True)
    return _rows_of(view, combined, int(_event_minutes(view, combined).max()))


def _push_merged(store, pushes: list[tuple[str, pd.DataFrame]]) -> None:
    from feast.data_source import PushMode

    with _locked(store):
        for view, events in pushes:
            if len(events):
                store.push(f"{view}_push", _merge(store, view, events), to=PushMode.ONLINE)


def push_departures(store, departures: pd.DataFrame) -> None:
    """Add departures (`flight_events` rows) to their origins' and planes' rows."""
    _push_merged(
        store, [(ORIGIN_FLIGHTS, departures), (PLANE_DEPARTURES, plane_events(departures))]
    )


def push_weather(store, observations: pd.DataFrame) -> None:
    """Add observations (`weather_events` rows) to their origins' rows."""
    _push_merged(store, [(ORIGIN_WEATHER, observations)])
