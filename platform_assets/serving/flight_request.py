"""What a client sends for a prediction: one flight, as an airline's app knows it before
departure, and the flight's own model inputs computed from it as the feature table does.

The request is part of the service's contract (`POST /v1/models/{model}/predict`): a field
renamed here breaks its clients. A malformed flight is refused by FastAPI with a 422 that names
the field and what it expects (the `Field` descriptions and patterns below).

The scheduled arrival is asked for because `sched_arr_hour` is a model input the rest of the
request cannot give (the feature table reads it from the timetable); it is taken in the
destination's local time, as its offset says, as timetables print it.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from platform_assets.lib.features.live_state import LOCAL_ZONE


class FlightRequest(BaseModel):
    """One flight to predict."""

    model_config = ConfigDict(extra="forbid")

    carrier: str = Field(pattern=r"^[A-Z0-9]{2}$", description="Two-letter carrier code, e.g. UA")
    flight_number: int = Field(ge=1, le=9999, description="Flight number, e.g. 1545")
    origin: str = Field(pattern=r"^[A-Z0-9]{3}$", description="Origin airport (FAA), e.g. EWR")
    dest: str = Field(pattern=r"^[A-Z0-9]{3}$", description="Destination airport (FAA), e.g. IAH")
    scheduled_departure: AwareDatetime = Field(
        description="Scheduled departure with its offset, e.g. 2013-07-15T17:00:00-04:00"
    )
    scheduled_arrival: AwareDatetime = Field(
        description="Scheduled arrival in the destination's local time, with its offset"
    )
    tailnum: str | None = Field(
        default=None,
        pattern=r"^[A-Z0-9]{2,7}$",
        description="The plane's tail number, e.g. N14228 (unknown: leave out)",
    )
    as_of: AwareDatetime | None = Field(
        default=None,
        description="When the prediction is made (default: now): the features are those known then",
    )


class DepartureEvent(BaseModel):
    """A flight that has just left (`POST /v1/events/departures`)."""

    model_config = ConfigDict(extra="forbid")

    carrier: str = Field(pattern=r"^[A-Z0-9]{2}$", description="Two-letter carrier code")
    flight_number: int = Field(ge=1, le=9999, description="Flight number")
    origin: str = Field(pattern=r"^[A-Z0-9]{3}$", description="Origin airport (FAA)")
    scheduled_departure: AwareDatetime = Field(description="Scheduled departure, with its offset")
    departed_at: AwareDatetime = Field(description="Actual departure, with its offset")
    tailnum: str | None = Field(default=None, pattern=r"^[A-Z0-9]{2,7}$")


class WeatherObservation(BaseModel):
    """An origin's hourly weather observation (`POST /v1/events/weather`); counted from an
    hour after `observed_at`, as the batch's weather (stg_weather) is."""

    model_config = ConfigDict(extra="forbid")

    origin: str = Field(pattern=r"^[A-Z0-9]{3}$", description="Origin airport (FAA)")
    observed_at: AwareDatetime = Field(description="The observation's hour, with its offset")
    temp: float | None = Field(default=None, description="Temperature, F")
    dewp: float | None = Field(default=None, description="Dew point, F")
    humid: float | None = Field(default=None, description="Relative humidity, %")
    wind_dir: float | None = Field(default=None, description="Wind direction, degrees")
    wind_speed: float | None = Field(default=None, description="Wind speed, mph")
    wind_gust: float | None = Field(default=None, description="Wind gust, mph")
    precip: float | None = Field(default=None, description="Precipitation, inches")
    pressure: float | None = Field(default=None, description="Sea level pressure, millibars")
    visib: float | None = Field(default=None, description="Visibility, miles")


def flight_id(flight: FlightRequest) -> str:
    """The feature table's id of the flight (stg_flights: local date, carrier and number,
    origin, local scheduled time), which joins a served prediction to the batch's."""
    local = flight.scheduled_departure.astimezone(LOCAL_ZONE)
    return f"{local:%Y-%m-%d}_{flight.carrier}{flight.flight_number}_{flight.origin}_{local:%H%M}"


def scheduled_hour_id(scheduled_departure: datetime) -> int:
    """Hours since 1970-01-01 UTC of the scheduled departure (dbt's `hour_id`)."""
    return int(scheduled_departure.timestamp() // 3600)


def own_columns(flight: FlightRequest, distance: float | None) -> dict[str, object]:
    """The flight's own columns of the feature table (marts.flight_features), from the request
    and the route's distance."""
    local = flight.scheduled_departure.astimezone(LOCAL_ZONE)
    return {
        "month": local.month,
        "day_of_week": local.isoweekday(),  # DuckDB's isodow: Monday 1 .. Sunday 7
        "sched_dep_hour": local.hour,
        "sched_dep_minute": local.minute,
        "sched_arr_hour": flight.scheduled_arrival.hour,
        "carrier": flight.carrier,
        "origin": flight.origin,
        "dest": flight.dest,
        "distance": distance,
    }
