"""Monitoring, the retraining sensor and the landing sensor on real data and a real instance."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import pytest

from platform_assets.defs.automation.failure_alerts import WEBHOOK_ENV, run_failure_alerts
from platform_assets.defs.automation.landing_sensor import landing_sensor
from platform_assets.defs.automation.retraining_sensors import build_retraining_sensor
from platform_assets.lib.ml import registry
from platform_assets.lib.ml.spec import load_model_specs
from platform_assets.lib.monitoring.evidently_workspace import project_id, snapshot_url
from platform_assets.lib.monitoring.retraining_policy import policy_fingerprint
from platform_assets.lib.monitoring.sensor_files import (
    DECISIONS_FILE,
    last_triggered_as_of,
    read_daily_metric,
    read_decisions,
)
from platform_assets.lib.paths import DataPaths
from platform_assets.lib.warehouse import connect
from tests.helpers import (
    copy_built_root,
    hold_warehouse,
    materialize_model_family,
    materialize_range,
    model_family,
    platform_assets,
    replay_days,
)

TEST_MODELS = Path(__file__).with_name("models_for_tests.yaml")
MONITORED = ["2013-02-04", "2013-02-05", "2013-02-06"]


@dataclass(frozen=True)
class Monitored:
    """A data root, its instance and the classifier's assets, for the tests that share them."""

    paths: DataPaths
    instance: dg.DagsterInstance
    family: dict[str, dg.AssetsDefinition]


@pytest.fixture(scope="module")
def monitored(feature_warehouse, tmp_path_factory):
    """A champion trained up to 2013-02-03, scoring and monitoring three later days.

    Built once for the module (training and three monitored days take about a minute); its
    tests add days and decisions the others do not read.
    """
    paths = DataPaths(tmp_path_factory.mktemp("monitored") / "data")
    copy_built_root(feature_warehouse, paths)
    with pytest.MonkeyPatch.context() as patch, dg.instance_for_test() as instance:
        patch.setenv("PLATFORM_DATA_DIR", str(paths.root))
        patch.setenv("PLATFORM_MODELS_FILE", str(TEST_MODELS))
        family = model_family(load_model_specs()["delay_classifier"])
        training = [family[s] for s in ("training_set", "candidate", "evaluation", "champion")]
        config = {
            "ops": {"ml__delay_classifier__training_set": {"config": {"cutoff_date": "2013-02-03"}}}
        }
        assert materialize_model_family(training, paths, instance, config).success
        for day in MONITORED:
            daily = [family["predictions"], family["delay_classifier"]]
            assert materialize_model_family(daily, paths, instance, partition_key=day).success
        yield Monitored(paths, instance, family)


def _snapshot_days(paths, tag: str | None = None) -> list[str]:
    """The days of the classifier's snapshots in the Evidently workspace (those with `tag`),
    read as Evidently reads them."""
    from evidently.ui.workspace import Workspace

    workspace = Workspace(str(paths.evidently))
    project = project_id("delay_classifier")
    runs = [workspace.get_run(project, run) for run in workspace.list_runs(project)]
    return sorted(run.metadata["day"] for run in runs if tag is None or tag in run.tags)


def _monitoring_rows(paths) -> list:
    with connect(paths.warehouse, read_only=True) as connection:
        return connection.execute(
            'SELECT partition_date, metric, value, model_version, "rows", in_sample FROM ( '
            "SELECT * FROM monitoring.drift UNION ALL SELECT * FROM monitoring.performance) "
            "ORDER BY ALL"
        ).fetchall()


def test_daily_monitoring_writes_drift_performance_and_a_snapshot_counting_unseen_days_only(
    monitored,
):
    from platform_assets.lib.monitoring.model_state import gather_model_state
    from platform_assets.lib.monitoring.monitoring_store import DRIFT_SHARE, daily_values
    from platform_assets.lib.schema_migrations import MIGRATIONS_TABLE

    paths, instance, family = monitored.paths, monitored.instance, monitored.family
    rows = _monitoring_rows(paths)
    assert all(not in_sample for *_, in_sample in rows)
    rows = [row[:5] for row in rows]
    per_day = {}
    for day, metric, value, version, count in rows:
        per_day.setdefault(day.isoformat(), {})[metric] = value
        assert version == "v1" and count > 0
    assert sorted(per_day) == MONITORED
    for metrics in per_day.values():
        assert 0.0 <= metrics["drift_share"] <= 1.0
        assert 0.0 <= metrics["roc_auc"] <= 1.0
        assert metrics["log_loss"] > 0
        assert "prediction_drift" in metrics and "column:carrier" in metrics
    assert _snapshot_days(paths) == MONITORED  # one snapshot per monitored day

    again = materialize_model_family(
        [family["delay_classifier"]],
        paths,
        instance,
        partition_key="2013-02-05",
    )
    assert again.success
    metadata = again.get_asset_materialization_events()[0].materialization.metadata
    assert "data:image/png;base64," in metadata["recent_days"].value
    assert metadata["snapshot"].value == snapshot_url("delay_classifier", date(2013, 2, 5))
    assert metadata["snapshots_written"].value == 1
    assert _snapshot_days(paths) == MONITORED  # the day's snapshot replaced, not added
    assert [r[:5] for r in _monitoring_rows(paths)] == rows

    # The champion was trained up to 2013-02-03: that day is monitored when asked, marked in
    # sample, and never counted.
    day = "2013-02-03"
    daily = [family["predictions"], family["delay_classifier"]]
    result = materialize_model_family(daily, paths, instance, partition_key=day)
    assert result.success
    metadata = result.get_asset_materialization_events()[-1].materialization.metadata
    assert metadata["in_sample_days"].value == 1
    assert "drift_share" not in metadata  # the run's only day is in sample: nothing shown
    marked = {(d.isoformat(), flag) for d, *_, flag in _monitoring_rows(paths)}
    assert marked == {(day, True)} | {(d, False) for d in MONITORED}
    assert _snapshot_days(paths, "in_sample") == [day]  # kept, not on the dashboard

    spec = load_model_specs()["delay_classifier"]
    with connect(paths.warehouse) as connection:
        counted = daily_values(connection, "drift", spec.name, DRIFT_SHARE)
        asked = daily_values(connection, "drift", spec.name, DRIFT_SHARE, include_in_sample=True)
        # a warehouse monitored before the flag existed gets it from the registry
        for table in ("drift", "performance"):
            connection.execute(f"ALTER TABLE monitoring.{table} DROP COLUMN in_sample")
        connection.execute(f"DROP TABLE {MIGRATIONS_TABLE}")
    with connect(paths.warehouse) as connection:  # a writer opens it: migrated
        versions = connection.execute(f"SELECT version FROM {MIGRATIONS_TABLE} ORDER BY 1")
        assert versions.fetchall() == [(1,), (2,), (3,), (4,)]
    state = gather_model_state(paths, spec, retrain_in_flight=False)
    # every metric of the task is published, not only the one the policy judges by today
    logged = read_daily_metric(paths.monitoring, spec.name, "log_loss", "v1")
    assert [d.isoformat() for d in logged] == MONITORED
    assert [d.isoformat() for d in counted] == MONITORED
    assert [d.isoformat() for d in asked] == [day, *MONITORED]
    assert min(state.drift_shares).isoformat() == MONITORED[0]
    assert min(state.daily_performance).isoformat() == MONITORED[0]
    assert {(d.isoformat(), flag) for d, *_, flag in _monitoring_rows(paths)} == marked

    # keep_report_days: a run keeps the snapshots of the newest days only
    kept = model_family(replace(spec, keep_report_days=2))["delay_classifier"]
    pruning = materialize_model_family([kept], paths, instance, partition_key=MONITORED[-1])
    metadata = pruning.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["snapshots_pruned"].value == 2  # 2013-02-03 and 2013-02-04
    assert _snapshot_days(paths) == MONITORED[1:]


def test_the_reference_is_every_flight_of_the_held_out_days_and_drift_names_what_it_skips(
    monitored,
):
    from platform_assets.lib.monitoring.drift import configured_drift_settings

    with connect(monitored.paths.warehouse, read_only=True) as connection:
        version = registry.get_version(connection, "delay_classifier", "v1")
        reference = registry.load_reference_sample(
            connection, monitored.paths.artifacts, "delay_classifier", "v1"
        )
        unlabelled = connection.execute(
            "SELECT count(*) FROM reference JOIN marts.flight_features USING (flight_id) "
            "WHERE is_delayed IS NULL"
        ).fetchone()[0]
        tested = {
            (day, metric.removeprefix("column:"))
            for day, metric in connection.execute(
                "SELECT partition_date, metric FROM monitoring.drift "
                "WHERE metric LIKE 'column:%' AND NOT in_sample"
            ).fetchall()
        }
        untested = connection.execute(
            "SELECT partition_date, column_name, reason FROM monitoring.untested_columns "
            "WHERE NOT in_sample"
        ).fetchall()
    validation_start = date.fromisoformat(version.params["validation_start"])
    assert len(reference) > 1_000
    assert reference["flight_date"].dt.date.between(validation_start, version.training_end).all()
    assert unlabelled > 0  # cancelled flights are part of the population monitoring sees

    features = configured_drift_settings().tested_columns(version.params["features"])
    for day in {day for day, _ in tested}:
        skipped = {column for d, column, _ in untested if d == day}
        assert {column for d, column in tested if d == day} | skipped == set(features)
    assert all("values in" in reason for *_, reason in untested)


def test_the_backtest_measures_drift_and_decides_the_gate_as_the_platform_does(monitored):
    """The backtest's first model is trained like the platform's v1 (cutoff 2013-02-03): the
    same reference from the same held-out flights, the same drift of each later day; its
    retrain on the last day gets the same gate decision as the platform's candidate of that
    day evaluated against v1."""
    from platform_assets.lib.ml.candidate_evaluation import awaiting_candidate
    from platform_assets.lib.ml.evaluation_log import latest_evaluation
    from platform_assets.lib.monitoring.backtest import run_backtest, with_policy
    from platform_assets.lib.monitoring.drift import configured_drift_settings

    spec = load_model_specs()["delay_classifier"]
    # fires once, on the third monitored day: one served model, then one retrain
    third_day = with_policy(spec, drift_share_at_least=0.0, for_consecutive_days=3)
    with connect(monitored.paths.warehouse, read_only=True) as connection:
        features = registry.get_version(connection, spec.name, "v1").params["features"]
        result = run_backtest(
            connection,
            spec,
            features,
            "signal",
            date.fromisoformat(MONITORED[0]),
            date.fromisoformat(MONITORED[-1]),
            third_day,
            configured_drift_settings(),
        )
        monitored_shares = dict(
            connection.execute(
                "SELECT partition_date, value FROM monitoring.drift "
                "WHERE metric = 'drift_share' AND model_version = 'v1' AND NOT in_sample"
            ).fetchall()
        )
    assert sorted(result.drift_shares) == sorted(monitored_shares) and len(monitored_shares) == 3
    for day, share in monitored_shares.items():
        assert result.drift_shares[day] == pytest.approx(share, abs=1e-12), day

    cutoff = {"config": {"cutoff_date": MONITORED[-1]}}
    # a refused candidate fails the evaluation's blocking check, not the recorded verdict
    materialize_model_family(
        [monitored.family[step] for step in ("training_set", "candidate", "evaluation")],
        monitored.paths,
        monitored.instance,
        {"ops": {"ml__delay_classifier__training_set": cutoff}},
    )
    with connect(monitored.paths.warehouse) as connection:  # its reader creates a missing log
        candidate = awaiting_candidate(connection, spec)
        platform = latest_evaluation(connection, spec.name, candidate.version)
    (retrain,) = result.retrains
    assert retrain.day == date.fromisoformat(MONITORED[-1])
    assert platform is not None and platform.champion_version == "v1"
    assert (retrain.gate.passed, retrain.gate.reason) == (platform.gate_passed, platform.reason)


def _write_policy(path: Path, drift_share_at_least: float) -> None:
    text = TEST_MODELS.read_text().replace(
        "    promotion: {metric: roc_auc, min_improvement: 0.002, floor: 0.55}",
        "    promotion: {metric: roc_auc, min_improvement: 0.002, floor: 0.55}\n"
        f"    retraining: {{drift_share_at_least: {drift_share_at_least}, "
        "for_consecutive_days: 3, cooldown_days: 7}",
    )
    path.write_text(text)


def _retraining_sensor():
    return build_retraining_sensor(load_model_specs()["delay_classifier"])


def test_the_retraining_sensor_follows_the_configured_threshold(monitored, tmp_path, monkeypatch):
    instance = monitored.instance
    models = tmp_path / "models.yaml"
    monkeypatch.setenv("PLATFORM_MODELS_FILE", str(models))
    _write_policy(models, drift_share_at_least=1.01)  # can never fire
    quiet = _retraining_sensor()(dg.build_sensor_context(instance=instance))
    assert not quiet.run_requests
    assert quiet.skip_reason.skip_message == "no retraining signal"
    cursor = json.loads(quiet.cursor)
    spec = load_model_specs()["delay_classifier"]
    policy = policy_fingerprint(spec.retraining, spec.promotion.metric)
    assert cursor == {"decided_on": f"v1|2013-02-06|False|{policy}"}
    unchanged = _retraining_sensor()(
        dg.build_sensor_context(instance=instance, cursor=quiet.cursor)
    )
    assert "nothing new" in unchanged.skip_reason.skip_message

    # The user lowers the threshold and reloads the code location: the sensor is rebuilt, and
    # its first tick, with the cursor it kept, decides again.
    _write_policy(models, drift_share_at_least=0.0)
    fired = _retraining_sensor()(dg.build_sensor_context(instance=instance, cursor=quiet.cursor))
    (request,) = fired.run_requests
    assert request.tags["platform/retrain_model"] == "delay_classifier"
    assert "drift share >= 0 for 3 days in a row" in request.tags["platform/retrain_reason"]
    assert {key.path[-1] for key in request.asset_selection} == {
        "training_set", "candidate", "evaluation", "champion"
    }  # fmt: skip
    decided = [
        (d["triggered"], d["reason"], d["numbers"]["drift_streak_days"], d["policy"])
        for d in read_decisions(monitored.paths.monitoring, "delay_classifier")
    ]
    assert [(t, r, streak, p["drift_share_at_least"]) for t, r, streak, p in decided] == [
        (False, "no retraining signal", 0, 1.01),
        (True, "drift share >= 0 for 3 days in a row", 3, 0.0),
    ]

    # The next monitoring run loads them into the warehouse, once however often it runs.
    for _ in range(2):
        rerun = materialize_model_family(
            [monitored.family["delay_classifier"]],
            monitored.paths,
            instance,
            partition_key=MONITORED[-1],
        )
        assert rerun.success
    metadata = rerun.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["retraining_decisions_loaded"].value == 0
    with connect(monitored.paths.warehouse, read_only=True) as connection:
        loaded = connection.execute(
            "SELECT triggered, reason, numbers->>'drift_streak_days', "
            "policy->>'drift_share_at_least' FROM monitoring.retraining_decisions "
            "ORDER BY decided_at"
        ).fetchall()
    assert loaded == [
        (False, "no retraining signal", "0", "1.01"),
        (True, "drift share >= 0 for 3 days in a row", "3", "0.0"),
    ]

    # A warehouse whose decisions predate the file (an upgrade) gives them to a new file: the
    # cooldown still counts from the last retrain.
    (monitored.paths.monitoring / "delay_classifier" / DECISIONS_FILE).unlink()
    assert materialize_model_family(
        [monitored.family["delay_classifier"]],
        monitored.paths,
        instance,
        partition_key=MONITORED[-1],
    ).success
    assert [
        d["reason"] for d in read_decisions(monitored.paths.monitoring, "delay_classifier")
    ] == [
        "no retraining signal",
        "drift share >= 0 for 3 days in a row",
    ]
    assert (
        last_triggered_as_of(monitored.paths.monitoring, "delay_classifier").isoformat()
        == (MONITORED[-1])
    )


# Ticks every model's retraining sensor once a second in a process of its own, as the daemon
# does, printing "<monotonic time>|<sensor>|<outcome>" per tick, until its standard input ends.
TICKER = """
import sys, threading, time
import dagster as dg
from platform_assets.defs.automation.retraining_sensors import build_retraining_sensor
from platform_assets.lib.ml.spec import load_model_specs

sensors = [build_retraining_sensor(spec) for spec in load_model_specs().values()]
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
cursors = {}
with dg.instance_for_test() as instance:
    print("ticking", flush=True)
    while not stop.wait(1.0):
        for sensor in sensors:
            context = dg.build_sensor_context(instance=instance, cursor=cursors.get(sensor.name))
            result = sensor(context)
            cursors[sensor.name] = result.cursor or cursors.get(sensor.name)
            outcome = result.skip_reason.skip_message if result.skip_reason else "requested"
            print(f"{time.monotonic()}|{sensor.name}|{outcome}", flush=True)
"""


def test_the_retraining_sensors_decide_while_a_run_holds_the_warehouse(monitored, tmp_path):
    """DuckDB refuses every other process while one writes: a sensor that opened the warehouse
    answered "busy" while any step held it, and could make a dbt build's connect fail. The
    sensors tick once a second in a process of their own, first while another process holds
    the warehouse for writing (as a long step does), then through a dbt build."""
    paths = DataPaths(tmp_path / "data")  # a copy: the other tests read this root's decisions
    shutil.copytree(monitored.paths.root, paths.root)
    holder = hold_warehouse(paths.warehouse, read_only=False)
    ticker = subprocess.Popen(
        [sys.executable, "-c", TICKER],
        env={**os.environ, "PLATFORM_DATA_DIR": str(paths.root)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert ticker.stdout.readline().strip() == "ticking"
        while_held = [ticker.stdout.readline().strip() for _ in range(4)]  # two of each sensor
        decided_while_held = read_decisions(paths.monitoring, "delay_classifier")
        holder.communicate("let go\n", timeout=30)
        started = time.monotonic()
        # a missing manifest (a root older than manifests) would read as "no champion": the
        # feature table's run publishes it again before its labelled days (the ticks meanwhile
        # see this copy's labelled days without it, which an upgraded root never shows)
        (paths.artifacts / "delay_classifier" / "champion.json").unlink()
        built = materialize_range(
            [platform_assets().dbt_daily_tables], paths, monitored.instance, *MONITORED[1:]
        )
        finished = time.monotonic()
    finally:
        holder.kill()
        ticks = while_held + ticker.communicate(timeout=120)[0].splitlines()
    assert ticker.returncode == 0 and all(len(tick.split("|")) == 3 for tick in ticks), ticks
    assert not [tick for tick in ticks if "busy" in tick], ticks
    # the classifier's first tick decided on its champion's monitored days, from the files
    assert decided_while_held[0]["numbers"]["as_of"] == MONITORED[-1], while_held
    assert built.success
    assert (paths.artifacts / "delay_classifier" / "champion.json").exists()
    during = [
        tick.split("|")[1] for tick in ticks if started < float(tick.split("|")[0]) < finished
    ]
    assert len(set(during)) == 2 and len(during) >= 6, ticks


def test_the_landing_sensor_requests_new_and_redelivered_days_in_ranges(data_paths, instance):
    replay_days(data_paths, "2013-03-01", "2013-03-03")
    first = landing_sensor(dg.build_sensor_context(instance=instance))
    (request,) = first.run_requests
    assert request.tags["dagster/asset_partition_range_start"] == "2013-03-01"
    assert request.tags["dagster/asset_partition_range_end"] == "2013-03-03"
    selected = {key.to_user_string() for key in request.asset_selection}
    assert {"raw/flights", "raw/weather", "raw/planes", "staging/stg_flights"} <= selected

    idle = landing_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    assert not idle.run_requests

    redelivered = data_paths.landing / "flights" / "2013-03-02.csv"
    redelivered.write_text(redelivered.read_text() + "\n")
    replay_days(data_paths, "2013-03-05", "2013-03-05")
    later = landing_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    ranges = [
        (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
        for r in later.run_requests
    ]
    assert ranges == [("2013-03-02", "2013-03-02"), ("2013-03-05", "2013-03-05")]


def _run_request(request: dg.RunRequest, paths: DataPaths, instance) -> bool:
    """Run what the sensor asked for, as the daemon would: its assets, range and tags."""
    start = request.tags["dagster/asset_partition_range_start"]
    end = request.tags["dagster/asset_partition_range_end"]
    assets = platform_assets().ingest_and_dbt
    selection = request.asset_selection
    return materialize_range(assets, paths, instance, start, end, selection, request.tags).success


def test_a_failed_landing_day_is_asked_for_again_then_alerted_then_taken_when_fixed(
    data_paths, instance, monkeypatch
):
    monkeypatch.setenv("PLATFORM_LANDING_ATTEMPTS", "2")
    replay_days(data_paths, "2013-03-01", "2013-03-01")
    data_paths.warehouse.mkdir(parents=True)  # a transient fault: the warehouse cannot open
    first = landing_sensor(dg.build_sensor_context(instance=instance))
    (request,) = first.run_requests
    assert not _run_request(request, data_paths, instance)
    data_paths.warehouse.rmdir()

    again = landing_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    (retry,) = again.run_requests
    assert retry.tags["platform/attempt"] == "2" and retry.run_key != request.run_key
    assert retry.tags["dagster/asset_partition_range_start"] == "2013-03-01"
    assert _run_request(retry, data_paths, instance)
    settled = landing_sensor(dg.build_sensor_context(instance=instance, cursor=again.cursor))
    assert not settled.run_requests and json.loads(settled.cursor)["pending"] == {}

    # a file that fails every time: asked for twice (never while a run is due), then alerted
    replay_days(data_paths, "2013-03-02", "2013-03-02")
    day_file = data_paths.landing / "flights" / "2013-03-02.csv"
    good = day_file.read_text()
    day_file.write_text(good.replace("year,", "yeer,", 1))
    cursor = settled.cursor
    for attempt in ("1", "2"):
        tick = landing_sensor(dg.build_sensor_context(instance=instance, cursor=cursor))
        (request,) = tick.run_requests
        assert request.tags["platform/attempt"] == attempt
        waiting = landing_sensor(dg.build_sensor_context(instance=instance, cursor=tick.cursor))
        assert not waiting.run_requests  # its run has not ended (here: not started) yet
        assert not _run_request(request, data_paths, instance)
        cursor = tick.cursor
    given_up = landing_sensor(dg.build_sensor_context(instance=instance, cursor=cursor))
    assert not given_up.run_requests
    alerts = [json.loads(line) for line in (data_paths.root / "alerts.jsonl").open()]
    assert alerts[-1]["job"] == "landing_sensor" and alerts[-1]["days"] == ["2013-03-02"]
    assert "failed 2 times" in alerts[-1]["message"]

    day_file.write_text(good)  # the fix, delivered again
    fixed = landing_sensor(dg.build_sensor_context(instance=instance, cursor=given_up.cursor))
    (request,) = fixed.run_requests
    assert request.tags["platform/attempt"] == "1"
    assert _run_request(request, data_paths, instance)
    with connect(data_paths.warehouse, read_only=True) as connection:
        days = connection.execute(
            "SELECT DISTINCT partition_date::VARCHAR FROM raw.flights ORDER BY 1"
        ).fetchall()
    assert days == [("2013-03-01",), ("2013-03-02",)]


class _AlertReceiver(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 (the http.server API)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _AlertReceiver.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_failed_run_is_recorded_and_posted_to_the_webhook(data_paths, instance, monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _AlertReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv(WEBHOOK_ENV, f"http://127.0.0.1:{server.server_port}/hook")

    @dg.asset
    def broken_asset():
        raise ValueError("the landing file is corrupt")

    result = dg.materialize([broken_asset], instance=instance, raise_on_error=False)
    failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alerts",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    ).for_run_failure()
    run_failure_alerts(context)
    server.shutdown()

    (posted,) = _AlertReceiver.received
    assert posted["run_id"] == result.run_id
    recorded = [
        json.loads(line) for line in (data_paths.root / "alerts.jsonl").read_text().splitlines()
    ]
    assert recorded == [posted]


def test_each_excluded_drift_column_takes_one_value_per_day(feature_warehouse):
    from platform_assets.lib.monitoring.drift import configured_drift_settings
    from platform_assets.lib.settings import DEFAULT_MODELS_FILE

    shipped = configured_drift_settings(DEFAULT_MODELS_FILE)
    excluded = [column for column, _ in shipped.excluded_columns]
    assert {"month", "day_of_week"} <= set(excluded)
    with connect(feature_warehouse, read_only=True) as connection:
        for column in excluded:
            most = connection.execute(
                f'SELECT max(n) FROM (SELECT count(DISTINCT "{column}") AS n '
                "FROM marts.flight_features GROUP BY flight_date)"
            ).fetchone()[0]
            assert most == 1, column
