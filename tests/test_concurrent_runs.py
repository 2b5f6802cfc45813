"""Runs submitted at the same moment through the daemon's run queue, on each instance storage.

A real `dagster dev` (webserver and daemon) with the repo's `dagster.yaml` (Dagster's SQLite
storage) and once with `dagster.postgres.yaml` (when PLATFORM_TEST_PG_URL names a server, as
in CI). A 30-day backfill and two retrains of one model (one tagged as the retraining sensor
tags its runs, one launched as the UI launches an asset selection, with a cutoff of its own)
are submitted while the landing sensor starts its own ingest run: no DuckDB lock failure
(every writer is in the `warehouse_writer` pool), no row missing or doubled, and the two
retrains never mix: a retrain that finds the other holding the model's claim stops before
changing anything, and every version registered was fitted on its own run's training set.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import dagster as dg
import pytest
import yaml

from platform_assets.defs.ml.retrain_run import run_actor
from platform_assets.lib.ml import registry
from platform_assets.lib.warehouse import connect
from tests.helpers import materialize_model_family, model_family, replay_days
from tests.test_dagster_dev import _query, running_dagster_dev

TEST_MODELS = Path(__file__).with_name("models_for_tests.yaml")
LANDED = ("2013-01-01", "2013-02-14")
BACKFILL = ("2013-01-01", "2013-01-30")
PG_URL = os.environ.get("PLATFORM_TEST_PG_URL")
RUNS_TIMEOUT_SECONDS = 600
UNFINISHED = {
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
}


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgres",
            marks=pytest.mark.skipif(
                not PG_URL, reason="set PLATFORM_TEST_PG_URL to a PostgreSQL server (CI does)"
            ),
        ),
    ]
)
def storage_env(request, monkeypatch):
    """The instance file and its environment; PostgreSQL gets a database per test."""
    if request.param == "sqlite":
        yield "dagster.yaml", {}
        return
    import psycopg2

    server = urlparse(PG_URL)
    database = f"platform_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(PG_URL)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {database}")
    env = {
        "DAGSTER_PG_HOST": server.hostname,
        "DAGSTER_PG_PORT": str(server.port or 5432),
        "DAGSTER_PG_USERNAME": server.username,
        "DAGSTER_PG_PASSWORD": server.password or "",
        "DAGSTER_PG_DB": database,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        yield "dagster.postgres.yaml", env
    finally:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.close()


def _row_counts(paths) -> dict[str, list]:
    with connect(paths.warehouse, read_only=True) as connection:
        return {
            "raw per day": connection.execute(
                "SELECT partition_date, count(*) FROM raw.flights GROUP BY ALL ORDER BY ALL"
            ).fetchall(),
            "raw duplicates": connection.execute(
                "SELECT count(*) - count(DISTINCT (source_file, source_line)) FROM raw.flights"
            ).fetchall(),
            "features per day": connection.execute(
                "SELECT flight_date, count(*), count(DISTINCT flight_id) "
                "FROM marts.flight_features "
                "WHERE flight_date BETWEEN ? AND ? GROUP BY ALL ORDER BY ALL",
                list(BACKFILL),
            ).fetchall(),
        }


def _landing_lines(paths) -> list:
    days = sorted((paths.landing / "flights").glob("*.csv"))
    return [(path.stem, sum(1 for _ in path.open()) - 1) for path in days]


RETRAIN_KEYS = [
    f"ml/delay_classifier/{step}"
    for step in ("training_set", "candidate", "evaluation", "champion")
]
CLAIM_REFUSAL = "is being retrained by run"
GATE_REFUSAL = "promotion_gate"  # a candidate the gate refused stops its run: not a fault


def _submit(client, keys: list[str], tags: dict[str, str], run_config=None) -> str:
    return client.submit_job_execution(
        "__ASSET_JOB",
        asset_selection=[dg.AssetKey(key.split("/")) for key in keys],
        tags=tags,
        run_config=run_config,
    )


def _training_set_fingerprint(instance: dg.DagsterInstance, run_id: str) -> str | None:
    """The fingerprint of the training set a run materialized, from the run's own events."""
    for event in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
        materialization = event.asset_materialization
        if materialization.asset_key == dg.AssetKey(RETRAIN_KEYS[0].split("/")):
            return materialization.metadata["data_fingerprint"].value
    return None


def _wait_for_runs(instance: dg.DagsterInstance, run_ids: list[str]) -> list:
    """Wait until the given runs and the landing sensor's first run have finished.

    The automation and the retraining sensors go on starting runs after these (features for
    the new days, first models); they are checked too, but only those finished by then.
    """
    deadline = time.monotonic() + RUNS_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        runs = instance.get_runs()
        mine_done = all(
            instance.get_run_by_id(run_id).status not in UNFINISHED for run_id in run_ids
        )
        landing_done = any(
            run.tags.get("dagster/sensor_name") == "landing_sensor" and run.status not in UNFINISHED
            for run in runs
        )
        if mine_done and landing_done:
            return [run for run in runs if run.status not in UNFINISHED]
        time.sleep(3)
    raise AssertionError(
        "runs did not finish: " + ", ".join(f"{r.job_name}:{r.status.value}" for r in runs)
    )


def _failure_messages(instance: dg.DagsterInstance, run) -> str:
    events = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    return "; ".join(
        f"{event.message}: {event.dagster_event.step_failure_data.error.message}"
        for event in events
    )[:2000]


def test_a_backfill_a_retrain_and_a_landing_run_at_once_all_succeed(
    tmp_path, ml_data_paths, storage_env, monkeypatch
):
    from dagster_graphql import DagsterGraphQLClient

    from platform_assets.lib.ml.spec import load_model_specs

    # The classifier alone: the regressor's sensor would queue a first model of its own ahead
    # of the runs under test, which adds a minute and tests nothing more.
    models = tmp_path / "models.yaml"
    configured = yaml.safe_load(TEST_MODELS.read_text())
    del configured["models"]["arrival_delay_regressor"]
    models.write_text(yaml.safe_dump(configured))
    monkeypatch.setenv("PLATFORM_MODELS_FILE", str(models))
    instance_file, _ = storage_env
    paths = ml_data_paths
    replay_days(paths, *LANDED)
    family = model_family(load_model_specs()["delay_classifier"])
    training = [family[s] for s in ("training_set", "candidate", "evaluation", "champion")]
    # A deliberately weak champion, so that the retrain below clears the promotion gate.
    weak = {"hyperparameters": {"max_iter": 2, "max_depth": 2, "early_stopping": False}}
    weak_config = {"ops": {"ml__delay_classifier__candidate": {"config": weak}}}
    with dg.instance_for_test() as setup_instance:
        assert materialize_model_family(training, paths, setup_instance, weak_config).success
    before = _row_counts(paths)

    home = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))  # this process reads the same instance
    log_path = tmp_path / "dagster_dev.log"
    with running_dagster_dev(home, dict(os.environ), log_path, instance_file) as (port, server):
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if _query(port, "{ assetNodes { id } }")["data"]["assetNodes"]:
                    break
            except (OSError, KeyError, TypeError):
                time.sleep(1)
        assert server.poll() is None, log_path.read_text()[-3000:]
        client = DagsterGraphQLClient("127.0.0.1", port_number=port)
        backfill = _submit(
            client,
            ["raw/flights", "raw/weather", "marts/flight_features"],
            {
                "dagster/asset_partition_range_start": BACKFILL[0],
                "dagster/asset_partition_range_end": BACKFILL[1],
            },
        )
        retrain = _submit(
            client,
            RETRAIN_KEYS,
            {"platform/retrain_model": "delay_classifier", "platform/retrain_reason": "test"},
        )
        ui_cutoff = {"config": {"cutoff_date": "2013-02-10"}}
        ui_retrain = _submit(
            client, RETRAIN_KEYS, {}, {"ops": {"ml__delay_classifier__training_set": ui_cutoff}}
        )
        with dg.DagsterInstance.get() as instance:
            runs = _wait_for_runs(instance, [backfill, retrain, ui_retrain])
            failed = {
                run.run_id: _failure_messages(instance, run)
                for run in runs
                if run.status != dg.DagsterRunStatus.SUCCESS
            }
            refused = {run_id for run_id, message in failed.items() if CLAIM_REFUSAL in message}
            gated = {run_id for run_id, message in failed.items() if GATE_REFUSAL in message}
            assert set(failed) == refused | gated <= {retrain, ui_retrain}, failed
            assert len(refused) < 2
            fingerprints = {
                run_id: _training_set_fingerprint(instance, run_id)
                for run_id in (retrain, ui_retrain)
            }
            sensors = {state.instigator_name: state for state in instance.all_instigator_state()}
            storage = type(instance.run_storage).__name__
            landing_cursor = sensors["landing_sensor"].instigator_data.cursor

    assert len(runs) >= 3
    assert storage == ("PostgresRunStorage" if "postgres" in instance_file else "SqliteRunStorage")
    assert landing_cursor, "the landing sensor kept no cursor in the instance"
    after = _row_counts(paths)
    assert after["raw duplicates"] == [(0,)]
    assert [(day.isoformat(), count) for day, count in after["raw per day"]] == _landing_lines(
        paths
    )
    assert after["features per day"] == before["features per day"]
    assert all(count == distinct for _, count, distinct in after["features per day"])
    with connect(paths.warehouse, read_only=True) as connection:
        versions = registry.list_versions(connection, "delay_classifier")
        registered = {
            run_id: registry.registered_by(connection, "delay_classifier", run_actor(run_id))
            for run_id in (retrain, ui_retrain)
        }
    assert len(versions) >= 2, "the retrain registered no new version"
    for run_id, version in registered.items():
        if run_id in refused:  # stopped at its first step: no training set, no version
            assert version is None and fingerprints[run_id] is None
        else:
            assert version.data_fingerprint == fingerprints[run_id] is not None
            assert version.params["training_set_run_id"] == run_id
    assert fingerprints[retrain] != fingerprints[ui_retrain] or refused
    with connect(paths.warehouse, read_only=True) as connection:
        assert registry.champion(connection, "delay_classifier").version != versions[0].version
