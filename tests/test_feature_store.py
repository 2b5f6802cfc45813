"""The feature store on real days: values as of the prediction time, Feast agreeing offline and
online, and the bad inputs a user can give it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from platform_assets.lib.features.catalog import (
    DEFAULT_MANIFEST,
    FeatureCatalog,
    FeatureViewError,
    feature_view_from_node,
)
from platform_assets.lib.features.retrieval import read_feature_rows
from platform_assets.lib.ml.features import feature_table_roles, resolve_features
from platform_assets.lib.ml.spec import ModelSpecError, load_model_specs
from platform_assets.lib.paths import DataPaths
from platform_assets.lib.warehouse import connect

DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
LEAD = 60
DAY = date(2013, 2, 5)
LIVE = ["origin_live:*", "plane_last_departure:*"]


@pytest.fixture(scope="module")
def catalog() -> FeatureCatalog:
    return FeatureCatalog.from_manifest()


def _columns(catalog: FeatureCatalog, references: list[str]) -> list[str]:
    return [column for reference in references for column in catalog.resolve(reference)]


def _flights_at(connection, day: date, lead: int = LEAD) -> pd.DataFrame:
    """The day's flights from the warehouse's own tables, with their prediction time."""
    return connection.execute(
        "SELECT flight_id, origin, tailnum, carrier, "
        "scheduled_departure_utc - to_minutes(CAST(? AS BIGINT)) AS t "
        "FROM marts.flight_features WHERE flight_date = ? ORDER BY flight_id",
        [lead, day],
    ).df()


def _dbt_rebuild(paths: DataPaths, models: str, day: date) -> None:
    """Rebuild some feature views for one day with the real dbt, as a day's run does."""
    environment = {
        **os.environ,
        "PLATFORM_DATA_DIR": str(paths.root),
        "PLATFORM_MIN_DATE": day.isoformat(),
        "PLATFORM_MAX_DATE": day.isoformat(),
    }
    # a target folder of its own: dbt_project/target/manifest.json is the one other runs read
    subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "run",
            "--quiet",
            "--select",
            models,
            "--profiles-dir",
            ".",
            "--target-path",
            str(paths.root / "dbt_target"),
        ],
        cwd=DBT_PROJECT,
        env=environment,
        check=True,
    )


def test_moving_an_event_across_the_prediction_time_changes_exactly_what_is_known(
    ml_data_paths, catalog
):
    """A departure and a weather observation moved to just after a flight's prediction time
    leave its features unchanged; moved to just before, they change them."""
    columns = _columns(catalog, ["origin_live:*"])
    with connect(ml_data_paths.warehouse) as connection:
        flights = _flights_at(connection, DAY)
        target = flights[flights["t"].dt.hour == 16].iloc[0]  # mid-day, a busy origin
        t = target["t"]
        # a flight of the same origin scheduled, and gone, more than 3 hours before t
        departure = connection.execute(
            "SELECT source_file, source_line, scheduled_departure_utc FROM staging.stg_flights "
            "WHERE origin = ? AND flight_date = ? "
            "AND scheduled_departure_utc < ? - INTERVAL 3 HOUR "
            "AND scheduled_departure_utc + to_minutes(CAST(dep_delay AS BIGINT)) "
            "< ? - INTERVAL 3 HOUR ORDER BY scheduled_departure_utc LIMIT 1",
            [target["origin"], DAY, t, t],
        ).fetchone()
        # the origin's first weather observation that t does not see yet
        observation = connection.execute(
            "SELECT source_file, source_line FROM staging.stg_weather WHERE origin = ? "
            "AND available_at_utc > ? ORDER BY available_at_utc LIMIT 1",
            [target["origin"], t],
        ).fetchone()
        before = read_feature_rows(connection, columns, DAY, DAY, lead_minutes=LEAD)
    before = before.set_index("flight_id").loc[target["flight_id"]]

    def move_to(minutes_from_t: int) -> pd.Series:
        """The departure, and the observation's availability, at t + minutes; the features."""
        moved = t + timedelta(minutes=minutes_from_t)
        delay_minutes = int((moved - departure[2]).total_seconds() // 60)
        observed = moved - timedelta(hours=1)  # an observation is available an hour after it
        with connect(ml_data_paths.warehouse) as connection:
            connection.execute(
                "UPDATE raw.flights SET dep_delay = ? WHERE source_file = ? AND source_line = ?",
                [str(delay_minutes), departure[0], departure[1]],
            )
            connection.execute(
                "UPDATE raw.weather SET time_hour = ?, temp = '-40' "
                "WHERE source_file = ? AND source_line = ?",
                [observed.strftime("%Y-%m-%dT%H:%M:%SZ"), *observation],
            )
        _dbt_rebuild(ml_data_paths, "origin_live", DAY)
        with connect(ml_data_paths.warehouse, read_only=True) as connection:
            rows = read_feature_rows(connection, columns, DAY, DAY, lead_minutes=LEAD)
        return rows.set_index("flight_id").loc[target["flight_id"]]

    pd.testing.assert_series_equal(move_to(+1), before)
    just_before = move_to(-1)
    assert (
        just_before["origin_live__departures_last_2h"]
        == before["origin_live__departures_last_2h"] + 1
    )
    assert just_before["origin_live__weather_temp"] == -40.0 != before["origin_live__weather_temp"]


def _brute_force_live(events: pd.DataFrame, weather: pd.DataFrame, flight) -> dict:
    """The origin's live state and the plane's last departure at t, counted from the events.

    A departure is known when it happened, or at its scheduled time if it left early.
    """
    t, origin = flight.t, flight.origin
    departed, scheduled_at = events["departed_at_utc"], events["scheduled_departure_utc"]
    known = events.assign(known_at=departed.where(departed >= scheduled_at, scheduled_at))
    known.loc[departed.isna(), "known_at"] = pd.NaT
    here = known[known["origin"] == origin]
    gone = here[(here["known_at"] >= t - timedelta(hours=2)) & (here["known_at"] < t)]
    scheduled = here[
        (here["scheduled_departure_utc"] >= t - timedelta(hours=2))
        & (here["scheduled_departure_utc"] < t)
    ]
    waiting = scheduled["departed_at_utc"].isna() | (scheduled["departed_at_utc"] >= t)
    observations = weather[(weather["origin"] == origin) & (weather["available_at_utc"] <= t)]
    latest = observations.sort_values("available_at_utc").tail(1)
    fresh = len(latest) and latest["observed_at_utc"].iloc[0] >= t - timedelta(hours=3)
    plane = (
        known[
            (known["tailnum"] == flight.tailnum)
            & (known["known_at"] < t)
            & (known["known_at"] >= t - timedelta(hours=12, minutes=1))
        ]
        .sort_values("known_at")
        .tail(1)
    )
    return {
        "origin_live__departures_last_2h": len(gone),
        "origin_live__mean_dep_delay_last_2h": gone["dep_delay"].mean() if len(gone) else None,
        "origin_live__waiting_last_2h": int(waiting.sum()),
        "origin_live__weather_temp": latest["temp"].iloc[0] if fresh else None,
        "plane_last_departure__last_dep_delay": plane["dep_delay"].iloc[0] if len(plane) else None,
    }


def test_live_features_of_200_random_flights_equal_a_count_over_the_raw_events(
    feature_warehouse, catalog
):
    columns = _columns(catalog, LIVE)
    with connect(feature_warehouse, read_only=True) as connection:
        events = connection.execute(
            "SELECT origin, tailnum, scheduled_departure_utc, departed_at_utc, dep_delay "
            "FROM intermediate.int_flight_times"
        ).df()
        weather = connection.execute(
            "SELECT origin, observed_at_utc, available_at_utc, temp FROM staging.stg_weather"
        ).df()
        retrieved = read_feature_rows(
            connection, columns, date(2013, 1, 8), date(2013, 2, 11), lead_minutes=LEAD
        ).set_index("flight_id")
        flights = (
            connection.execute(
                "SELECT flight_id, origin, tailnum, "
                "scheduled_departure_utc - INTERVAL 60 MINUTE AS t FROM marts.flight_features "
                "WHERE flight_date BETWEEN '2013-01-08' AND '2013-02-11'"
            )
            .df()
            .sample(200, random_state=7)
        )
    for flight in flights.itertuples():
        expected = _brute_force_live(events, weather, flight)
        got = retrieved.loc[flight.flight_id]
        for column, value in expected.items():
            if value is None or pd.isna(value):
                assert pd.isna(got[column]), (flight.flight_id, column, got[column])
            else:
                assert got[column] == pytest.approx(value), (flight.flight_id, column)


@pytest.fixture(scope="module")
def feast_store(feature_warehouse, tmp_path_factory):
    """A copy of the six weeks' Feast repository and feature files, opened with Feast."""
    from platform_assets.lib.features.feast_repo import open_store

    built = DataPaths(feature_warehouse.parent)
    root = DataPaths(tmp_path_factory.mktemp("feast") / "data")
    shutil.copytree(built.feature_files, root.feature_files)
    shutil.copytree(built.feast, root.feast)
    (root.feast / "feature_store.yaml").unlink()  # written again for the copy's own paths
    store = open_store(root.feast)
    # the copied registry names the original's files: apply again against the copy's files
    from platform_assets.lib.features.feast_repo import apply_repository

    specs = load_model_specs()
    roles = feature_table_roles(DEFAULT_MANIFEST)
    catalog = FeatureCatalog.from_manifest()
    services = {name: resolve_features(s, roles, catalog) for name, s in specs.items()}
    apply_repository(store, catalog, root.feature_files, services)
    return store


def test_asof_retrieval_equals_feasts_point_in_time_join_ttls_included(
    feature_warehouse, feast_store, catalog
):
    stored = [
        view.column(feature.name) for view in catalog.views.values() for feature in view.features
    ]
    with connect(feature_warehouse, read_only=True) as connection:
        ours = read_feature_rows(connection, stored, DAY, DAY, lead_minutes=LEAD)
        entities = connection.execute(
            "SELECT flight_id, origin, dest, carrier, flight_number, tailnum, scheduled_hour_id, "
            "scheduled_departure_utc - INTERVAL 60 MINUTE AS event_timestamp "
            "FROM marts.flight_features WHERE flight_date = ?",
            [DAY],
        ).df()
    references = [column.replace("__", ":", 1) for column in stored]
    theirs = feast_store.get_historical_features(
        entity_df=entities, features=references, full_feature_names=True
    ).to_df()
    theirs = theirs.set_index("flight_id").loc[ours["flight_id"]]
    assert len(theirs) == len(ours) > 500
    expired = 0
    for column in stored:
        mine = ours[column].reset_index(drop=True)
        feast = theirs[column].reset_index(drop=True)
        assert (mine.isna() == feast.isna()).all(), column
        both = mine.notna()
        expired += int((~both).sum())
        if pd.api.types.is_numeric_dtype(mine):
            difference = (mine[both].astype(float) - feast[both].astype(float)).abs()
            assert (difference < 1e-9).all(), column
        else:
            assert (mine[both] == feast[both]).all(), column
    assert expired > 0  # TTLs (the plane's 12 hours) and unseen keys gave NULLs on both sides


def test_online_features_equal_offline_retrieval_at_the_same_time(
    feature_warehouse, feast_store, catalog
):
    """After the six weeks' materialization, the online store serves each key's latest values:
    those the offline retrieval gives just after the last day's end."""
    last_day = date(2013, 2, 11)
    stored = [
        view.column(feature.name) for view in catalog.views.values() for feature in view.features
    ]
    from platform_assets.lib.features.feast_repo import materialize

    end = datetime.combine(last_day, datetime.min.time(), UTC) + timedelta(days=2)
    materialize(feast_store, catalog, end - timedelta(days=4), end)
    with connect(feature_warehouse, read_only=True) as connection:
        midnight = connection.execute(
            "SELECT CAST(CAST(? AS DATE) + 1 AS TIMESTAMP) AT TIME ZONE 'America/New_York'",
            [last_day],
        ).fetchone()[0]
        # a flight of the last day whose plane's last departure in the data was that evening
        flight = (
            connection.execute(
                "SELECT flight_id, origin, dest, carrier, flight_number, tailnum, "
                "scheduled_hour_id, scheduled_departure_utc FROM marts.flight_features "
                "WHERE flight_date = ? AND tailnum IN (SELECT tailnum "
                "FROM intermediate.int_flight_times GROUP BY tailnum HAVING max(departed_at_utc) "
                "BETWEEN ? - INTERVAL 6 HOUR AND ? - INTERVAL 5 MINUTE) "
                "ORDER BY flight_id LIMIT 1",
                [last_day, midnight, midnight],
            )
            .df()
            .iloc[0]
        )
        # offline as of one minute after that midnight: the lead from there to the departure
        as_of = midnight + timedelta(minutes=1)
        lead = int((flight["scheduled_departure_utc"] - as_of).total_seconds() // 60)
        offline = read_feature_rows(connection, stored, last_day, last_day, lead_minutes=lead)
    offline = offline.set_index("flight_id").loc[flight["flight_id"]]
    integer_keys = ("flight_number", "scheduled_hour_id")
    keys = {
        name: int(flight[name]) if name in integer_keys else flight[name]
        for name in ("origin", "dest", "carrier", "tailnum", *integer_keys)
    }
    online = feast_store.get_online_features(
        features=[column.replace("__", ":", 1) for column in stored],
        entity_rows=[keys],
        full_feature_names=True,
    ).to_dict()
    for column in stored:
        value, expected = online[column][0], offline[column]
        if expected is None or pd.isna(expected):
            assert value is None, column
        elif isinstance(expected, str):
            assert value == expected, column
        else:
            assert value == pytest.approx(float(expected)), column


def test_the_service_reads_the_keyed_views_online_as_the_batch_retrieval_does(
    feature_warehouse, feast_store, catalog
):
    """The online store as it stands when a day starts (materialized up to its local
    midnight) gives each flight of the day, read as of its prediction time with the TTLs
    checked against that time, the keyed views' values of the batch retrieval."""
    from platform_assets.lib.features.feast_repo import materialize
    from platform_assets.serving.online_lookup import keyed_features

    day = date(2013, 2, 11)
    keyed = [
        v for v in catalog.views.values() if v.name not in ("origin_live", "plane_last_departure")
    ]
    columns = [view.column(f) for view in keyed for f in view.feature_names]
    with connect(feature_warehouse, read_only=True) as connection:
        day_start = connection.execute(
            "SELECT CAST(? AS TIMESTAMP) AT TIME ZONE 'America/New_York'", [day]
        ).fetchone()[0]
        offline = read_feature_rows(connection, columns, day, day, lead_minutes=LEAD)
        flights = connection.execute(
            "SELECT flight_id, origin, dest, carrier, flight_number, tailnum, scheduled_hour_id, "
            "scheduled_departure_utc FROM marts.flight_features WHERE flight_date = ? "
            "ORDER BY flight_id",
            [day],
        ).df()
    flights = flights.sample(100, random_state=5)
    materialize(
        feast_store, catalog, day_start - timedelta(days=30), day_start + timedelta(minutes=1)
    )
    offline = offline.set_index("flight_id").loc[flights["flight_id"]]
    keys = [
        {k: (None if pd.isna(v) else int(v) if k in ("flight_number", "scheduled_hour_id") else v)
         for k, v in row.items() if k not in ("flight_id", "scheduled_departure_utc")}
        for row in flights.to_dict("records")
    ]  # fmt: skip
    times = [
        t.to_pydatetime() - timedelta(minutes=LEAD) for t in flights["scheduled_departure_utc"]
    ]
    served = [{} for _ in keys]
    for view in keyed:
        for row, values in zip(
            served, keyed_features(feast_store, view, view.feature_names, keys, times), strict=True
        ):
            row.update(values)
    present = 0
    for position, flight_id in enumerate(flights["flight_id"]):
        for column in columns:
            value, expected = served[position][column], offline.loc[flight_id, column]
            if pd.isna(expected):
                assert value is None, (flight_id, column, value)
            elif isinstance(expected, str):
                assert value == expected, (flight_id, column)
            else:
                assert value == pytest.approx(float(expected), abs=1e-9), (flight_id, column)
                present += 1
    assert present > 100 * len(columns) / 2  # most of the values are there, not NULL
    # three days on, the histories' rows are past their 48 hours; three days before, they are
    # not known yet: none is served; reference data (no TTL) always is
    history, plane = catalog.views["carrier_history"], catalog.views["plane"]
    for moved in (times[0] + timedelta(days=3), times[0] - timedelta(days=3)):
        values = keyed_features(feast_store, history, history.feature_names, keys[:1], [moved])
        assert set(values[0].values()) == {None}
    with_plane = next(
        i for i, f in enumerate(flights["flight_id"]) if pd.notna(offline.loc[f, "plane__seats"])
    )
    seats = keyed_features(feast_store, plane, ["seats"], [keys[with_plane]], [moved])
    assert seats[0]["plane__seats"] == offline["plane__seats"].iloc[with_plane]


def test_an_unknown_feature_reference_fails_the_definitions_with_its_name(tmp_path, monkeypatch):
    models = tmp_path / "models.yaml"
    text = Path(__file__).with_name("models_for_tests.yaml").read_text()
    models.write_text(
        text.replace("features: all", "features: [carrier, origin_live:departures_last_3h]", 1)
    )
    monkeypatch.setenv("PLATFORM_MODELS_FILE", str(models))
    from tests.helpers import platform_assets

    with pytest.raises(ModelSpecError, match="departures_last_3h.*departures_last_2h"):
        platform_assets()
    models.write_text(text.replace("features: all", "features: [origin_busy:*]", 1))
    with pytest.raises(ModelSpecError, match="Unknown feature view 'origin_busy'"):
        platform_assets()


def test_a_feature_view_without_its_event_timestamp_is_refused_with_what_to_fix():
    manifest = json.loads(DEFAULT_MANIFEST.read_text())
    node = manifest["nodes"]["model.platform.origin_live"]
    node["columns"]["event_timestamp"]["meta"] = {}
    with pytest.raises(FeatureViewError, match="origin_live.*event_timestamp.*_features.yml"):
        feature_view_from_node(node)


def test_unseen_entities_and_times_before_any_data_get_nulls_not_errors(ml_data_paths, catalog):
    """A flight whose carrier, route and plane were never seen gets NULL history and plane
    features (documented: the models treat them as missing); so does a time before any data."""
    time_based = _columns(catalog, ["carrier_history:*", "route_history:*", *LIVE])
    columns = [*time_based, *_columns(catalog, ["plane:*"])]
    with connect(ml_data_paths.warehouse) as connection:
        connection.execute(
            "INSERT INTO marts.flight_features BY NAME SELECT * REPLACE ("
            "'2013-02-05_ZZ9_JFK_1200' AS flight_id, 'ZZ' AS carrier, 'XXX' AS dest, "
            "'N0NE' AS tailnum) FROM marts.flight_features WHERE flight_date = ? LIMIT 1",
            [DAY],
        )
        rows = read_feature_rows(connection, columns, DAY, DAY, lead_minutes=LEAD)
        first_day = read_feature_rows(
            connection, columns, date(2013, 1, 1), date(2013, 1, 1), lead_minutes=24 * 60
        )
    unseen = rows.set_index("flight_id").loc["2013-02-05_ZZ9_JFK_1200"]
    for view in ("carrier_history", "route_history", "plane", "plane_last_departure"):
        assert unseen.filter(like=f"{view}__").isna().all(), view
    assert unseen["origin_live__departures_last_2h"] >= 0  # the origin is known: it has a state
    assert len(first_day) > 800 and first_day[time_based].isna().all().all()


# Reads the feature table's and a view's Parquet files five times a second over one open,
# in-memory DuckDB connection, printing "<monotonic time> <rows> <view rows>", until its
# standard input ends: a notebook reading while the platform runs.
READER = """
import sys, threading, time, duckdb
folder = sys.argv[1]
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
reader = duckdb.connect()
print("reading", flush=True)
while not stop.wait(0.2):
    rows, = reader.execute(f"FROM '{folder}/flight_features/*.parquet' SELECT count(*)").fetchone()
    live, = reader.execute(f"FROM '{folder}/origin_live/*.parquet' SELECT count(*)").fetchone()
    print(time.monotonic(), rows, live, flush=True)
"""


def test_a_reader_of_the_parquet_files_stays_open_while_a_run_writes_the_warehouse(
    feature_warehouse, ml_data_paths, instance
):
    from platform_assets.defs.features.feature_store_assets import FEATURE_FILES_KEY
    from tests.helpers import materialize_range, platform_assets

    paths, day = ml_data_paths, "2013-02-11"
    shutil.copytree(DataPaths(feature_warehouse.parent).feature_files, paths.feature_files)
    (paths.feature_files / "flight_features" / f"{day}.parquet").unlink()  # the run writes it
    assets = platform_assets()
    feature_files = next(a for a in assets.feature_store if a.key == FEATURE_FILES_KEY)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(paths.feature_files)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "reading"
        first = reader.stdout.readline().split()
        started = time.monotonic()
        run = materialize_range([assets.dbt_daily_tables, feature_files], paths, instance, day, day)
        finished = time.monotonic()
        time.sleep(1)  # a read after the run
    finally:
        reads = [
            first,
            *(line.split() for line in reader.communicate("", timeout=60)[0].splitlines()),
        ]
    assert run.success and reader.returncode == 0
    with connect(paths.warehouse, read_only=True) as connection:
        total, on_day = connection.execute(
            "SELECT count(*), count(*) FILTER (WHERE flight_date = ?) FROM marts.flight_features",
            [date.fromisoformat(day)],
        ).fetchone()
    during = [read for read in reads if started < float(read[0]) < finished]
    assert len(during) >= 5  # it read on while dbt and the export held the warehouse
    assert int(reads[0][1]) == total - on_day and int(reads[-1][1]) == total
    assert all(int(read[2]) > 0 for read in reads)
