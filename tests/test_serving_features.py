"""The features the prediction service computes equal the batch ones for real flights: the live
views evaluated from events equal the batch retrieval (the dbt views read as of each flight's
prediction time) to 1e-9, and a request's own columns equal the feature table's."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from platform_assets.lib.features.catalog import FeatureCatalog
from platform_assets.lib.features.live_events import minutes
from platform_assets.lib.features.live_state import (
    LOCAL_ZONE,
    WEATHER_COLUMNS,
    OriginEvents,
    epoch_minute,
    origin_live_at,
    plane_last_departure_at,
)
from platform_assets.lib.features.retrieval import read_feature_rows
from platform_assets.lib.warehouse import connect
from platform_assets.serving.flight_request import (
    FlightRequest,
    own_columns,
    scheduled_hour_id,
)

LEAD = 60
DAYS = (date(2013, 1, 8), date(2013, 2, 11))


def _origin_events(flights: pd.DataFrame, weather: pd.DataFrame) -> OriginEvents:
    departed = flights.dropna(subset=["departure_known_at_utc"])
    return OriginEvents(
        departure_known_at=minutes(departed["departure_known_at_utc"]),
        departure_delays=departed["dep_delay"].to_numpy(float),
        scheduled_at=minutes(flights["scheduled_departure_utc"]),
        departed_at=minutes(flights["departed_at_utc"]),
        weather_available_at=minutes(weather["available_at_utc"]),
        weather_observed_at=minutes(weather["observed_at_utc"]),
        weather={c: weather[c].to_numpy(float) for c in WEATHER_COLUMNS},
    )


def test_live_views_evaluated_from_events_equal_the_batch_retrieval(feature_warehouse):
    catalog = FeatureCatalog.from_manifest()
    views = {name: catalog.views[name] for name in ("origin_live", "plane_last_departure")}
    columns = [view.column(f) for view in views.values() for f in view.feature_names]
    with connect(feature_warehouse, read_only=True) as connection:
        flights = connection.execute(
            "SELECT origin, tailnum, scheduled_departure_utc, departed_at_utc, "
            "departure_known_at_utc, dep_delay FROM intermediate.int_flight_times"
        ).df()
        weather = connection.execute(
            f"SELECT origin, available_at_utc, observed_at_utc, {', '.join(WEATHER_COLUMNS)} "
            "FROM staging.stg_weather"
        ).df()
        retrieved = read_feature_rows(connection, columns, *DAYS, lead_minutes=LEAD)
        asked = connection.execute(
            "SELECT flight_id, origin, tailnum, scheduled_departure_utc FROM marts.flight_features "
            "WHERE flight_date BETWEEN ? AND ? ORDER BY flight_id",
            list(DAYS),
        ).df()
    asked = asked.sample(200, random_state=11).set_index("flight_id")
    retrieved = retrieved.set_index("flight_id").loc[asked.index]
    origins = {
        origin: _origin_events(flights[flights.origin == origin], weather[weather.origin == origin])
        for origin in asked["origin"].unique()
    }
    # the plane's departure events: the minute after each became known, one per minute
    planes = flights.dropna(subset=["tailnum", "departure_known_at_utc"])
    planes = planes.sort_values("scheduled_departure_utc").drop_duplicates(
        ["tailnum", "departure_known_at_utc"], keep="last"
    )
    planes = planes.assign(event=minutes(planes["departure_known_at_utc"]) + 1)
    ttl = int(views["plane_last_departure"].ttl.total_seconds() // 60)
    compared = 0
    for flight_id, flight in asked.iterrows():
        t = epoch_minute(flight["scheduled_departure_utc"].to_pydatetime()) - LEAD
        served = {
            f"origin_live__{k}": v for k, v in origin_live_at(origins[flight["origin"]], t).items()
        }
        plane = planes[planes.tailnum == flight["tailnum"]]
        served |= {
            f"plane_last_departure__{k}": v
            for k, v in plane_last_departure_at(
                plane["event"].to_numpy(), plane["dep_delay"].to_numpy(float), t, ttl
            ).items()
        }
        assert set(served) == set(columns)
        for column, value in served.items():
            expected = retrieved.loc[flight_id, column]
            if pd.isna(expected):
                assert value is None, (flight_id, column, value)
            else:
                assert value == pytest.approx(float(expected), abs=1e-9), (flight_id, column)
                compared += 1
    # the sample holds flights with departures, waiting flights, weather and a plane's earlier
    # departure: the comparison is not of NULLs alone
    assert compared > 200 * 10
    assert (retrieved["plane_last_departure__last_dep_delay"].notna()).sum() > 20


def test_an_observation_older_than_three_hours_is_no_weather_and_a_later_one_is_not_yet_known():
    t = 1_000_000
    observed = OriginEvents(
        weather_available_at=[t - 170, t + 1],
        weather_observed_at=[t - 180, t - 9],
        weather={c: [1.0, 2.0] for c in WEATHER_COLUMNS},
    )
    assert origin_live_at(observed, t)["weather_temp"] == 1.0  # 180 minutes old: still the weather
    assert origin_live_at(observed, t + 1)["weather_temp"] == 2.0  # available at t + 1
    stale = OriginEvents(
        weather_available_at=[t - 170],
        weather_observed_at=[t - 181],
        weather={c: [1.0] for c in WEATHER_COLUMNS},
    )
    assert origin_live_at(stale, t) == {
        "departures_last_2h": 0, "mean_dep_delay_last_2h": None, "waiting_last_2h": 0,
        **{f"weather_{c}": None for c in WEATHER_COLUMNS},
    }  # fmt: skip


def test_a_requests_own_columns_equal_the_feature_tables(feature_warehouse):
    """From what a client sends (the departure in UTC, the arrival in local time), the service
    computes the flight's own columns as marts.flight_features has them."""
    with connect(feature_warehouse, read_only=True) as connection:
        flights = connection.execute(
            "SELECT f.*, t.sched_arr_time FROM marts.flight_features AS f "
            "JOIN intermediate.int_flight_times AS t USING (flight_id) "
            "USING SAMPLE 200 ROWS (reservoir, 3)"
        ).df()
    for flight in flights.itertuples():
        departure = flight.scheduled_departure_utc.to_pydatetime()
        request = FlightRequest(
            carrier=flight.carrier,
            flight_number=flight.flight_number,
            origin=flight.origin,
            dest=flight.dest,
            scheduled_departure=departure,
            scheduled_arrival=datetime(2013, 1, 1, flight.sched_arr_time // 100 % 24,
                                       flight.sched_arr_time % 100, tzinfo=LOCAL_ZONE),
            tailnum=flight.tailnum if isinstance(flight.tailnum, str) else None,
        )  # fmt: skip
        columns = own_columns(request, flight.distance)
        assert columns == {name: getattr(flight, name) for name in columns}, flight.flight_id
        assert scheduled_hour_id(departure) == flight.scheduled_hour_id


def test_the_local_calendar_follows_summer_time():
    request = FlightRequest(
        carrier="UA", flight_number=1545, origin="EWR", dest="IAH",
        scheduled_departure=datetime.fromisoformat("2013-07-15T21:00:00+00:00"),
        scheduled_arrival=datetime.fromisoformat("2013-07-15T19:45:00-05:00"),
    )  # fmt: skip
    columns = own_columns(request, 1400.0)
    assert (columns["sched_dep_hour"], columns["sched_arr_hour"]) == (17, 19)  # EDT, CDT
    assert (columns["month"], columns["day_of_week"]) == (7, 1)  # a Monday
