"""The live feature views evaluated at a prediction time from their events, as the service does.

A feature of the origin's last two hours, or of the plane's last departure, is a function of
the instant it is asked at: "departures in [t - 2 h, t)" at t. An online store keeps one row
per entity, so a state row written when an event arrived is wrong a minute later (a departure
leaves the window, a scheduled flight starts waiting). The service therefore keeps the events
(a departure, a scheduled flight, a weather observation) and evaluates the view at t, by the
rules of the dbt views it must agree with:
- `origin_live.sql`: the departures known in [t - 2 h, t), their mean departure delay; the
  flights scheduled in [t - 2 h, t) that had not left by t (not left, or left at t or after);
  the latest weather observation available at t, if observed at most 3 hours before t;
- `plane_last_departure.sql`: the plane's latest departure known before t (its event is the
  minute after it became known) within the view's TTL, and the minutes since that event.
Times are whole minutes since 1970-01-01 UTC (what the online store holds in Int64 arrays);
`NOT_DEPARTED` marks a scheduled flight that has not left. tests/test_serving_features.py
holds these equal to the batch retrieval for real flights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np

# The platform's local calendar (dbt's macros/feature_time.sql): the days, the scheduled hours
# and minutes of the feature table are in it.
LOCAL_ZONE = ZoneInfo("America/New_York")

NOT_DEPARTED = -1
WINDOW_MINUTES = 120  # the origin's last two hours
WEATHER_HORIZON_MINUTES = 180  # an older observation is not the origin's weather
WEATHER_COLUMNS = (
    "temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure", "visib",
)  # fmt: skip


def epoch_minute(instant: datetime) -> int:
    """Whole minutes since 1970-01-01 UTC of an aware datetime (seconds dropped)."""
    return int(instant.astimezone(UTC).timestamp() // 60)


def local_day_start(day: date) -> datetime:
    """The instant a local calendar day starts (dbt's `local_day_start`)."""
    return datetime.combine(day, time.min, LOCAL_ZONE)


@dataclass(frozen=True)
class OriginEvents:
    """One origin's events: departures (known at, delay), its timetable (scheduled at, departed
    at or NOT_DEPARTED) and weather observations (available at, observed at, the values, NaN
    where not measured). Order does not matter."""

    departure_known_at: Sequence[int] = ()
    departure_delays: Sequence[float] = ()
    scheduled_at: Sequence[int] = ()
    departed_at: Sequence[int] = ()
    weather_available_at: Sequence[int] = ()
    weather_observed_at: Sequence[int] = ()
    weather: dict[str, Sequence[float]] = field(default_factory=dict)


def origin_live_at(events: OriginEvents, t: int) -> dict[str, float | None]:
    """The origin_live view's features at minute t (None where the view has NULL)."""
    start = t - WINDOW_MINUTES
    known_at = np.asarray(events.departure_known_at, dtype=np.int64)
    gone = (known_at >= start) & (known_at < t)
    delays = np.asarray(events.departure_delays, dtype=float)[gone]
    scheduled = np.asarray(events.scheduled_at, dtype=np.int64)
    departed = np.asarray(events.departed_at, dtype=np.int64)
    waiting = (
        (scheduled >= start) & (scheduled < t) & ((departed == NOT_DEPARTED) | (departed >= t))
    )
    state = {
        "departures_last_2h": int(gone.sum()),
        "mean_dep_delay_last_2h": float(delays.mean()) if len(delays) else None,
        "waiting_last_2h": int(waiting.sum()),
    }
    return state | _weather_at(events, t)


def _weather_at(events: OriginEvents, t: int) -> dict[str, float | None]:
    available = np.asarray(events.weather_available_at, dtype=np.int64)
    candidates = np.flatnonzero(available <= t)
    latest = None
    if len(candidates):
        latest = candidates[np.argmax(available[candidates])]
        if events.weather_observed_at[latest] < t - WEATHER_HORIZON_MINUTES:
            latest = None
    values = {}
    for column in WEATHER_COLUMNS:
        value = None if latest is None else float(events.weather[column][latest])
        values[f"weather_{column}"] = None if value is None or np.isnan(value) else value
    return values


def plane_last_departure_at(
    event_minutes: Sequence[int], delays: Sequence[float], t: int, ttl_minutes: int
) -> dict[str, float | None]:
    """The plane_last_departure view's features at minute t, from the plane's departure events
    (each the minute after the departure became known) and their delays."""
    events = np.asarray(event_minutes, dtype=np.int64)
    candidates = np.flatnonzero((events <= t) & (events >= t - ttl_minutes))
    if not len(candidates):
        return {"last_dep_delay": None, "minutes_since_last_departure": None}
    latest = candidates[np.argmax(events[candidates])]
    delay = float(delays[latest])
    return {
        "last_dep_delay": None if np.isnan(delay) else delay,
        "minutes_since_last_departure": float(t - events[latest]),
    }
