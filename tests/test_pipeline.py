"""Real days from landing files to the feature table, through a real instance and a real dbt run."""

from __future__ import annotations

import dagster as dg

from platform_assets.cli.demo import counts_as_failed
from platform_assets.defs.transform.dbt_models import DBT_PROJECT_DIR
from platform_assets.lib.warehouse import connect
from tests.helpers import materialize_range, platform_assets, replay_days

PLATFORM = platform_assets()
ASSETS = PLATFORM.ingest_and_dbt
FEATURES = dg.AssetKey(["marts", "flight_features"])
RAW_FLIGHTS = dg.AssetKey(["raw", "flights"])

TABLE_SNAPSHOTS = {
    table: f"SELECT * EXCLUDE (loaded_at) FROM {table} ORDER BY source_file, source_line"
    for table in ("raw.flights", "raw.weather")
}
TABLE_SNAPSHOTS |= {
    "marts.flight_features": "SELECT * FROM marts.flight_features ORDER BY flight_id",
    "features.origin_live": "SELECT * FROM features.origin_live ORDER BY origin, event_timestamp",
    "features.route_history": "SELECT * FROM features.route_history ORDER BY ALL",
}
ORIGIN_LIVE = dg.AssetKey(["features", "origin_live"])


def _snapshot(paths) -> dict[str, list]:
    with connect(paths.warehouse, read_only=True) as connection:
        return {table: connection.execute(sql).fetchall() for table, sql in TABLE_SNAPSHOTS.items()}


def _dbt_target_folders(run_id: str) -> list:
    """The folders the run's dbt invocations left under dbt_project/target."""
    return list((DBT_PROJECT_DIR / "target").glob(f"*-{run_id[:7]}-*"))


def _latest_metadata(instance, key: dg.AssetKey, partition: str) -> dict:
    event = instance.get_latest_materialization_event(key)
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1
    ).records
    assert event is not None and records
    return records[0].asset_materialization.metadata


def test_real_days_reach_the_feature_table_and_a_rerun_changes_nothing(data_paths, instance):
    replay_days(data_paths, "2013-01-01", "2013-01-03")
    result = materialize_range(ASSETS, data_paths, instance, "2013-01-01", "2013-01-03")
    assert result.success

    with connect(data_paths.warehouse, read_only=True) as connection:
        per_day = dict(
            connection.execute(
                "SELECT flight_date::VARCHAR, count(*) FROM marts.flight_features GROUP BY ALL"
            ).fetchall()
        )
        raw_per_day = dict(
            connection.execute(
                "SELECT partition_date::VARCHAR, count(*) FROM raw.flights GROUP BY ALL"
            ).fetchall()
        )
    assert per_day["2013-01-01"] == 842
    assert per_day == raw_per_day

    checks = result.get_asset_check_evaluations()
    assert checks and all(check.passed for check in checks), [
        check.check_name for check in checks if not check.passed
    ]
    assert _dbt_target_folders(result.run_id) == []

    metadata = _latest_metadata(instance, RAW_FLIGHTS, "2013-01-02")
    read, loaded, rejected = (
        metadata[k].value for k in ("rows_read", "rows_loaded", "rows_rejected")
    )
    assert read == loaded + rejected and rejected == 0
    assert loaded == sum(raw_per_day.values())

    features = _latest_metadata(instance, FEATURES, "2013-01-01")
    assert features["dagster/row_count"].value == sum(per_day.values())
    assert "null share" in features["column_profile"].value
    live = _latest_metadata(instance, ORIGIN_LIVE, "2013-01-01")
    assert live["dagster/row_count"].value == 3 * 3 * 24 * 60  # origins x days x minutes
    assert "weather_temp" in live["column_profile"].value
    declared = next(spec for spec in PLATFORM.dbt_daily_tables.specs if spec.key == ORIGIN_LIVE)
    assert declared.group_name == "features" and declared.owners == ["team:ml-platform"]
    assert declared.metadata["feature_view/entities"] == "origin"

    before = _snapshot(data_paths)
    again = materialize_range(ASSETS, data_paths, instance, "2013-01-01", "2013-01-03")
    assert again.success
    assert _snapshot(data_paths) == before

    # a day's run replaces that day only: a day outside its window stays as it was (here, gone)
    with connect(data_paths.warehouse) as connection:
        connection.execute("DELETE FROM marts.flight_features WHERE flight_date = '2013-01-01'")
    assert materialize_range(ASSETS, data_paths, instance, "2013-01-02", "2013-01-02").success
    with connect(data_paths.warehouse, read_only=True) as connection:
        after = dict(
            connection.execute(
                "SELECT flight_date::VARCHAR, count(*) FROM marts.flight_features GROUP BY ALL"
            ).fetchall()
        )
    assert after == {day: rows for day, rows in per_day.items() if day != "2013-01-01"}


def test_a_full_year_backfill_is_one_run_and_keeps_every_flight(data_paths):
    """On an in-memory instance: what is tested is the warehouse, and the year's run writes
    thousands of events that a file-backed event log spends a minute on (bench B1 times it)."""
    replay_days(data_paths, "2013-01-01", "2013-12-31")
    instance = dg.DagsterInstance.ephemeral()
    result = materialize_range(ASSETS, data_paths, instance, "2013-01-01", "2013-12-31")
    assert result.success
    runs = instance.get_run_records()
    assert len(runs) == 1
    with connect(data_paths.warehouse, read_only=True) as connection:
        features = connection.execute("SELECT count(*) FROM marts.flight_features").fetchone()[0]
        rejected = connection.execute("SELECT count(*) FROM raw.rejected_rows").fetchone()[0]
    assert features == 336_776
    assert rejected == 0


def test_a_run_of_the_daily_assets_without_the_views_loads_raw_days_before_features(
    data_paths, instance
):
    """A backfill of the daily assets (or those selected in the UI) leaves the views out."""
    replay_days(data_paths, "2013-01-01", "2013-01-03")
    assert materialize_range(ASSETS, data_paths, instance, "2013-01-01", "2013-01-01").success
    daily = PLATFORM.daily

    result = materialize_range(daily, data_paths, instance, "2013-01-01", "2013-01-03")
    assert result.success
    with connect(data_paths.warehouse, read_only=True) as connection:
        features, raw = connection.execute(
            "SELECT (SELECT count(*) FROM marts.flight_features), "
            "(SELECT count(*) FROM raw.flights)"
        ).fetchone()
    assert features == raw > 842


def test_a_missing_landing_file_fails_the_run_and_keeps_earlier_partitions(data_paths, instance):
    replay_days(data_paths, "2013-01-01", "2013-01-02")
    assert materialize_range(ASSETS, data_paths, instance, "2013-01-01", "2013-01-01").success
    (data_paths.landing / "flights" / "2013-01-02.csv").unlink()

    result = materialize_range(ASSETS, data_paths, instance, "2013-01-02", "2013-01-02")
    assert not result.success
    failure = next(event for event in result.all_events if event.event_type_value == "STEP_FAILURE")
    assert "2013-01-02.csv for flights is missing" in str(failure.step_failure_data.error)
    with connect(data_paths.warehouse, read_only=True) as connection:
        kept = connection.execute("SELECT count(*) FROM marts.flight_features").fetchone()[0]
    assert kept == 842


def test_a_failed_dbt_test_fails_the_run_and_keeps_its_dbt_folder_to_inspect(data_paths, instance):
    replay_days(data_paths, "2013-01-01", "2013-01-03")
    weather = data_paths.landing / "weather" / "2013-01-02.csv"
    weather.write_text(weather.read_text().splitlines()[0] + "\n")  # the day's weather missing

    result = materialize_range(ASSETS, data_paths, instance, "2013-01-01", "2013-01-03")
    assert not result.success
    checks = result.get_asset_check_evaluations()
    failed = [check.check_name for check in checks if not check.passed]
    assert any("weather_coverage" in name for name in failed), failed
    assert counts_as_failed(result)  # the year's summary counts it
    # No day of the failed build counts as materialized: automation must not carry it on.
    materialized = instance.get_materialized_partitions(FEATURES)
    assert materialized == set(), materialized
    kept = _dbt_target_folders(result.run_id)
    assert any((folder / "run_results.json").exists() for folder in kept), kept
