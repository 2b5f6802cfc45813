"""Monitoring, the retraining sensor and the landing sensor on real data and a real instance."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import pytest

from platform_assets.defs.automation.failure_alerts import WEBHOOK_ENV, run_failure_alerts
from platform_assets.defs.automation.landing_sensor import landing_sensor
from platform_assets.defs.automation.retraining_sensors import build_retraining_sensor
from platform_assets.lib.ml.spec import load_model_specs
from platform_assets.lib.warehouse import connect
from tests.helpers import materialize_model_family, model_family, replay_days

TEST_MODELS = Path(__file__).with_name("models_for_tests.yaml")
MONITORED = ("2013-02-04", "2013-02-06")


@pytest.fixture
def monitored_classifier(monkeypatch, ml_data_paths, instance):
    """A champion trained up to 2013-02-03, scoring and monitoring three later days."""
    monkeypatch.setenv("PLATFORM_MODELS_FILE", str(TEST_MODELS))
    spec = load_model_specs()["delay_classifier"]
    family = model_family(spec)
    training = [family[s] for s in ("training_set", "candidate", "evaluation", "champion")]
    config = {
        "ops": {"ml__delay_classifier__training_set": {"config": {"cutoff_date": "2013-02-03"}}}
    }
    assert materialize_model_family(training, ml_data_paths, instance, config).success
    for day in ("2013-02-04", "2013-02-05", "2013-02-06"):
        daily = [family["predictions"], family["delay_classifier"]]
        assert materialize_model_family(daily, ml_data_paths, instance, partition_key=day).success
    return family


def _monitoring_rows(paths) -> list:
    with connect(paths.warehouse, read_only=True) as connection:
        return connection.execute(
            'SELECT partition_date, metric, value, model_version, "rows" FROM ( '
            "SELECT * FROM monitoring.drift UNION ALL SELECT * FROM monitoring.performance) "
            "ORDER BY ALL"
        ).fetchall()


def test_daily_monitoring_writes_drift_and_performance_and_a_report(
    monitored_classifier, ml_data_paths, instance
):
    rows = _monitoring_rows(ml_data_paths)
    per_day = {}
    for day, metric, value, version, count in rows:
        per_day.setdefault(day.isoformat(), {})[metric] = value
        assert version == "v1" and count > 0
    assert sorted(per_day) == ["2013-02-04", "2013-02-05", "2013-02-06"]
    for metrics in per_day.values():
        assert 0.0 <= metrics["drift_share"] <= 1.0
        assert 0.0 <= metrics["roc_auc"] <= 1.0
        assert metrics["log_loss"] > 0
        assert "prediction_drift" in metrics and "column:carrier" in metrics
    report = ml_data_paths.reports / "delay_classifier" / "2013-02-05.html"
    assert "<html" in report.read_text()[:2000].lower()

    again = materialize_model_family(
        [monitored_classifier["delay_classifier"]],
        ml_data_paths,
        instance,
        partition_key="2013-02-05",
    )
    assert again.success
    metadata = again.get_asset_materialization_events()[0].materialization.metadata
    assert "data:image/png;base64," in metadata["recent_days"].value
    assert [r[:4] for r in _monitoring_rows(ml_data_paths)] == [r[:4] for r in rows]


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


def test_the_retraining_sensor_follows_the_configured_threshold(
    monitored_classifier, ml_data_paths, instance, tmp_path, monkeypatch
):
    models = tmp_path / "models.yaml"
    monkeypatch.setenv("PLATFORM_MODELS_FILE", str(models))
    _write_policy(models, drift_share_at_least=1.01)  # can never fire
    quiet = _retraining_sensor()(dg.build_sensor_context(instance=instance))
    assert not quiet.run_requests
    assert quiet.skip_reason.skip_message == "no retraining signal"
    cursor = json.loads(quiet.cursor)
    assert cursor == {"decided_on": "v1|2013-02-06|False"}
    unchanged = _retraining_sensor()(
        dg.build_sensor_context(instance=instance, cursor=quiet.cursor)
    )
    assert "nothing new" in unchanged.skip_reason.skip_message

    # The user lowers the threshold and reloads the code location: the sensor is rebuilt.
    _write_policy(models, drift_share_at_least=0.0)
    fired = _retraining_sensor()(dg.build_sensor_context(instance=instance))
    (request,) = fired.run_requests
    assert request.tags["platform/retrain_model"] == "delay_classifier"
    assert "drift share >= 0 for 3 days in a row" in request.tags["platform/retrain_reason"]
    assert {key.path[-1] for key in request.asset_selection} == {
        "training_set", "candidate", "evaluation", "champion"
    }  # fmt: skip
    with connect(ml_data_paths.warehouse, read_only=True) as connection:
        decisions = connection.execute(
            "SELECT triggered, reason, numbers->>'drift_streak_days', "
            "policy->>'drift_share_at_least' FROM monitoring.retraining_decisions "
            "ORDER BY decided_at"
        ).fetchall()
    assert decisions == [
        (False, "no retraining signal", "0", "1.01"),
        (True, "drift share >= 0 for 3 days in a row", "3", "0.0"),
    ]


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
