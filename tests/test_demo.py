"""Six days replayed end to end through the landing sensor, the daily assets and retraining."""

from __future__ import annotations

from datetime import date

from platform_assets.cli.demo import run_demo, write_summary
from platform_assets.lib.monitoring.sensor_files import read_decisions
from platform_assets.lib.warehouse import connect

SHORT_MODELS = """
drift:
  numeric: {method: wasserstein, threshold: 0.1}
  categorical: {method: jensenshannon, threshold: 0.1}
  prediction: {method: wasserstein, threshold: 0.1}
models:
  delay_classifier:
    description: Will the flight arrive more than 15 minutes late?
    task: binary_classification
    target: is_delayed
    features: all
    estimator:
      class: HistGradientBoostingClassifier
      params: {max_iter: 40, early_stopping: false, random_state: 42}
    training_window_days: 3
    validation_days: 1
    promotion: {metric: roc_auc, min_improvement: 0.0, floor: 0.5}
    retraining: {new_labelled_rows: 1500, cooldown_days: 2}
"""


def test_a_short_replay_ingests_predicts_monitors_and_retrains(data_paths, tmp_path, monkeypatch):
    models = tmp_path / "models.yaml"
    models.write_text(SHORT_MODELS)
    monkeypatch.setenv("PLATFORM_MODELS_FILE", str(models))

    log = run_demo(data_paths, date(2013, 1, 1), date(2013, 1, 6))
    assert log.failed_runs == []
    days, reasons, outcomes = zip(*[(d, r, o) for d, _, r, o in log.retrains], strict=True)
    assert days[0] == "2013-01-03" and "first model" in reasons[0] and outcomes[0] == "promoted v1"
    assert any("new labelled rows" in reason for reason in reasons[1:])

    with connect(data_paths.warehouse, read_only=True) as connection:
        features = connection.execute("SELECT count(*) FROM marts.flight_features").fetchone()[0]
        predicted_days = connection.execute(
            "SELECT min(partition_date), max(partition_date) FROM ml.predictions"
        ).fetchone()
        monitored = connection.execute(
            "SELECT count(DISTINCT partition_date) FROM monitoring.performance"
        ).fetchone()[0]
        loaded = connection.execute(
            "SELECT count(*) FROM monitoring.retraining_decisions"
        ).fetchone()[0]
    assert features > 4_500
    assert predicted_days == (date(2013, 1, 4), date(2013, 1, 6))
    assert monitored == 3
    decisions = read_decisions(data_paths.monitoring, "delay_classifier")
    assert sum(d["triggered"] for d in decisions) == len(log.retrains) < len(decisions)
    # monitoring loaded what the sensor had decided before the last day's monitoring run
    assert 0 < loaded < len(decisions)

    summary = write_summary(data_paths, log).read_text()
    assert "## Retrains" in summary and "first model" in summary
    assert "delay_classifier: daily roc_auc of the serving model" in summary
    assert "over its 3 days out of sample (2013-01-04 .. 2013-01-06)" in summary
