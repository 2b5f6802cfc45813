"""Hostile file names, partition keys, identifiers, model names and config values.

Quotes, ';', '../' and odd (NUL-free) unicode must reach no SQL or path unchecked: each is
ignored, refused with a clear message, or stored verbatim as data.
"""

from __future__ import annotations

from datetime import date

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from platform_assets.cli.main import main
from platform_assets.defs.automation.landing_sensor import landing_sensor
from platform_assets.defs.automation.schedules import next_demo_day
from platform_assets.defs.resources import PlatformData
from platform_assets.lib.landing import arrived_days
from platform_assets.lib.ml import registry
from platform_assets.lib.ml.spec import load_model_specs
from platform_assets.lib.paths import DataPaths
from platform_assets.lib.settings import PlatformSettings
from platform_assets.lib.warehouse import connect, quote_identifier
from tests.helpers import (
    materialize_model_family,
    materialize_range,
    model_family,
    raw_flights_asset,
    replay_days,
)

INJECTION = "2013-01-01'; DROP TABLE raw.flights; --"
REGISTRY_INJECTION = "x'; DROP TABLE ml.model_versions; --"
FLIGHTS_ASSET = raw_flights_asset()
DAY_ROWS = 842  # flights on 2013-01-01


def _flight_rows(paths: DataPaths) -> int:
    with connect(paths.warehouse, read_only=True) as connection:
        return connection.execute("SELECT count(*) FROM raw.flights").fetchone()[0]


def test_the_landing_scan_only_takes_files_named_as_a_day(data_paths, instance):
    replay_days(data_paths, "2013-01-01", "2013-01-01")
    hostile = [
        f"{INJECTION}.csv",
        "20130102.csv",  # a date to Python, not a day file name
        "2013-W01-3.csv",  # an ISO week date
        "２０１３-01-05.csv",  # full-width digits
        "2013-01-06\u202e.csv",  # right-to-left override
        "..csv",
        "../2013-01-07.csv",  # lands beside the source folders, not in them
    ]
    for source in ("flights", "weather"):
        original = (data_paths.landing / source / "2013-01-01.csv").read_text()
        for name in hostile:
            (data_paths.landing / source / name).write_text(original)
        (data_paths.landing / source / "2013-01-08.csv").mkdir()  # a folder, not a file

    assert list(arrived_days(data_paths.landing)) == ["2013-01-01"]
    result = landing_sensor(dg.build_sensor_context(instance=instance))
    ranges = [
        (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
        for r in result.run_requests
        if "dagster/asset_partition_range_start" in r.tags
    ]
    assert ranges == [("2013-01-01", "2013-01-01")]
    assert next_demo_day(PlatformSettings.from_env()) == date(2013, 1, 2)  # the clock ignores them


HOSTILE_KEYS = [INJECTION, "../2013-01-01", "2013-01-01/../../etc", "２０１３-01-01", "20130101"]


def test_a_partition_key_outside_the_partitions_is_refused_by_dagster(data_paths, instance):
    replay_days(data_paths, "2013-01-01", "2013-01-01")
    assert materialize_range([FLIGHTS_ASSET], data_paths, instance, "2013-01-01", "2013-01-01")
    for key in HOSTILE_KEYS:
        with pytest.raises(dg.DagsterUnknownPartitionError, match="Could not find a partition"):
            dg.materialize(
                [FLIGHTS_ASSET],
                instance=instance,
                partition_key=key,
                resources={"platform_data": PlatformData(data_dir=str(data_paths.root))},
            )
    assert _flight_rows(data_paths) == DAY_ROWS


def test_a_hostile_partition_range_tag_is_refused_before_anything_runs(data_paths, instance):
    replay_days(data_paths, "2013-01-01", "2013-01-01")
    with pytest.raises(ValueError, match="does not match format"):
        materialize_range([FLIGHTS_ASSET], data_paths, instance, INJECTION, "2013-01-01")
    assert not data_paths.warehouse.exists()


def test_a_data_dir_with_quotes_semicolons_and_unicode_loads_normally(tmp_path, instance):
    """PLATFORM_DATA_DIR reaches DuckDB only as a parameter, never inside the SQL text."""
    paths = DataPaths(tmp_path / "it's; DROP TABLE raw.flights; -- 名前 [1] *")
    replay_days(paths, "2013-01-01", "2013-01-01")
    result = materialize_range([FLIGHTS_ASSET], paths, instance, "2013-01-01", "2013-01-01")
    assert result.success
    with connect(paths.warehouse, read_only=True) as connection:
        files = connection.execute("SELECT DISTINCT source_file FROM raw.flights").fetchall()
    assert files == [(str(paths.landing / "flights" / "2013-01-01.csv"),)]
    assert _flight_rows(paths) == DAY_ROWS


identifiers = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=20
)


def test_quote_identifier_makes_any_name_one_identifier(tmp_path):
    """A name with quotes or SQL in it names one column; the table beside it survives."""
    with connect(tmp_path / "warehouse.duckdb") as connection:
        connection.execute("CREATE TABLE keep (x INTEGER)")

        @settings(max_examples=60, deadline=None)
        @given(name=identifiers)
        def check(name):
            connection.execute(f"CREATE OR REPLACE TABLE probe ({quote_identifier(name)} VARCHAR)")
            connection.execute(f"INSERT INTO probe ({quote_identifier(name)}) VALUES (?)", [name])
            columns = connection.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = 'probe'"
            ).fetchall()
            assert columns == [(name,)]
            assert connection.execute(f"SELECT {quote_identifier(name)} FROM probe").fetchall() == [
                (name,)
            ]

        check()
        check_keep = "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'keep'"
        assert connection.execute(check_keep).fetchone()[0] == 1


@pytest.fixture
def registered(data_paths):
    """One real version of a small model in a real registry."""
    rng = np.random.default_rng(0)
    features = pd.DataFrame({"dep_delay": rng.normal(10, 20, 100)})
    labels = (features["dep_delay"] > 15).astype(int).to_numpy()
    with connect(data_paths.warehouse) as connection:
        registry.register_version(
            connection,
            data_paths.artifacts,
            model_name="delay_classifier",
            model=LogisticRegression().fit(features, labels),
            params={},
            metrics={},
            training_start=date(2013, 1, 1),
            training_end=date(2013, 1, 31),
            row_count=100,
            data_fingerprint="f",
            dbt_manifest_checksum="m",
        )
    return data_paths


def _versions(paths: DataPaths) -> int:
    with connect(paths.warehouse, read_only=True) as connection:
        return connection.execute("SELECT count(*) FROM ml.model_versions").fetchone()[0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show", REGISTRY_INJECTION, "v1"], "No model named \"x'; DROP TABLE"),
        (["show", "delay_classifier", "v1'; --"], 'has no version "v1\'; --"'),
        (["promote", REGISTRY_INJECTION, "v1", "--reason", "x"], "Known models: delay_classifier"),
        (["rollback", "../../etc", "--reason", "x"], "no earlier champion to roll back to"),
    ],
)
def test_hostile_model_names_and_versions_get_a_clear_error_and_the_registry_stays(
    registered, capsys, argv, message
):
    assert main(["models", *argv]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and message in error
    assert _versions(registered) == 1


def test_a_hostile_reason_or_model_filter_is_kept_as_text(registered, capsys):
    reason = "it's fine'); DROP TABLE ml.model_alias_events; -- ✓"
    assert main(["models", "promote", "delay_classifier", "v1", "--reason", reason]) == 0
    assert main(["models", "list", "--model", REGISTRY_INJECTION]) == 0
    assert "No model versions registered for model" in capsys.readouterr().out
    with connect(registered.warehouse, read_only=True) as connection:
        events = registry.alias_history(connection, "delay_classifier")
    assert events[-1].reason == reason and events[-1].to_alias == "champion"
    assert _versions(registered) == 1


@pytest.mark.parametrize("cutoff", ["2013-01-01'; --", "2013-01-01; DROP TABLE x", "20130101"])
def test_a_cutoff_date_that_is_not_yyyy_mm_dd_is_refused(data_paths, instance, monkeypatch, cutoff):
    monkeypatch.setenv("PLATFORM_MODELS_FILE", "tests/models_for_tests.yaml")
    spec = load_model_specs()["delay_classifier"]
    training_set = model_family(spec)["training_set"]
    config = {"ops": {"ml__delay_classifier__training_set": {"config": {"cutoff_date": cutoff}}}}
    result = materialize_model_family([training_set], data_paths, instance, run_config=config)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert f"cutoff_date {cutoff!r} is not a day written as YYYY-MM-DD" in str(
        failure.step_failure_data.error
    )


def test_a_training_window_that_is_not_a_number_is_refused_by_the_config_schema(
    data_paths, instance, monkeypatch
):
    monkeypatch.setenv("PLATFORM_MODELS_FILE", "tests/models_for_tests.yaml")
    spec = load_model_specs()["delay_classifier"]
    training_set = model_family(spec)["training_set"]
    window = {"training_window_days": "28; DROP TABLE ml.model_versions"}
    config = {"ops": {"ml__delay_classifier__training_set": {"config": window}}}
    with pytest.raises(dg.DagsterInvalidConfigError, match="training_window_days"):
        materialize_model_family([training_set], data_paths, instance, run_config=config)
    assert not data_paths.warehouse.exists()
