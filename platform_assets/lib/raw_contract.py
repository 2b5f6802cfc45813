"""The raw contract: which columns each landing file must carry and what makes a row valid.

Ingestion checks every row against this contract; rows that break it go to
`raw.rejected_rows` instead of the raw tables. Column names here are the file's own header.
Changing a source's columns changes the raw table's shape: add a column at the end and
update the dbt staging model in the same change.
"""

from __future__ import annotations

from dataclasses import dataclass

MISSING_MARKERS = ("", "NA")


@dataclass(frozen=True)
class RawSource:
    """One kind of landing file and the raw table it loads into."""

    name: str
    columns: tuple[str, ...]
    key_columns: tuple[str, ...]
    numeric_columns: tuple[str, ...] = ()
    timestamp_columns: tuple[str, ...] = ()
    daily: bool = False
    description: str = ""

    @property
    def table(self) -> str:
        return f"raw.{self.name}"

    @property
    def date_columns(self) -> tuple[str, str, str]:
        """The local year, month and day columns that must fall inside a daily file's partition."""
        return ("year", "month", "day")


FLIGHTS = RawSource(
    name="flights",
    columns=(
        "year",
        "month",
        "day",
        "dep_time",
        "sched_dep_time",
        "dep_delay",
        "arr_time",
        "sched_arr_time",
        "arr_delay",
        "carrier",
        "flight",
        "tailnum",
        "origin",
        "dest",
        "air_time",
        "distance",
        "hour",
        "minute",
        "time_hour",
    ),  # fmt: skip
    key_columns=(
        "year",
        "month",
        "day",
        "carrier",
        "flight",
        "origin",
        "sched_dep_time",
        "time_hour",
    ),  # fmt: skip
    numeric_columns=(
        "year",
        "month",
        "day",
        "dep_time",
        "sched_dep_time",
        "dep_delay",
        "arr_time",
        "sched_arr_time",
        "arr_delay",
        "flight",
        "air_time",
        "distance",
        "hour",
        "minute",
    ),  # fmt: skip
    timestamp_columns=("time_hour",),
    daily=True,
    description="Every flight that left NYC on one local day, one file per day.",
)

WEATHER = RawSource(
    name="weather",
    columns=(
        "origin",
        "year",
        "month",
        "day",
        "hour",
        "temp",
        "dewp",
        "humid",
        "wind_dir",
        "wind_speed",
        "wind_gust",
        "precip",
        "pressure",
        "visib",
        "time_hour",
    ),  # fmt: skip
    key_columns=("origin", "year", "month", "day", "hour", "time_hour"),
    numeric_columns=(
        "year",
        "month",
        "day",
        "hour",
        "temp",
        "dewp",
        "humid",
        "wind_dir",
        "wind_speed",
        "wind_gust",
        "precip",
        "pressure",
        "visib",
    ),  # fmt: skip
    timestamp_columns=("time_hour",),
    daily=True,
    description="Hourly weather observations at the three NYC airports for one local day.",
)

PLANES = RawSource(
    name="planes",
    columns=(
        "tailnum",
        "year",
        "type",
        "manufacturer",
        "model",
        "engines",
        "seats",
        "speed",
        "engine",
    ),  # fmt: skip
    key_columns=("tailnum",),
    numeric_columns=("year", "engines", "seats", "speed"),
    description="Aircraft by tail number: build year, maker, model, seats and engines.",
)

AIRPORTS = RawSource(
    name="airports",
    columns=("faa", "name", "lat", "lon", "alt", "tz", "dst", "tzone"),
    key_columns=("faa",),
    numeric_columns=("lat", "lon", "alt", "tz"),
    description="Airports by FAA code: name, location, altitude and time zone.",
)

AIRLINES = RawSource(
    name="airlines",
    columns=("carrier", "name"),
    key_columns=("carrier",),
    description="Carrier codes and airline names.",
)

DAILY_SOURCES = (FLIGHTS, WEATHER)
REFERENCE_SOURCES = (PLANES, AIRPORTS, AIRLINES)
ALL_SOURCES = DAILY_SOURCES + REFERENCE_SOURCES
