"""Models as assets on real features: factory, leakage, gate, predictions, reproducibility."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from platform_assets.cli.demo import counts_as_failed
from platform_assets.lib.features.catalog import FeatureCatalog
from platform_assets.lib.ml import registry
from platform_assets.lib.ml.features import LeakageError, resolve_features
from platform_assets.lib.ml.spec import ModelSpecError, load_model_specs
from platform_assets.lib.warehouse import connect
from tests.conftest import FEATURE_DAYS
from tests.helpers import materialize_model_family, model_family, platform_assets

TEST_MODELS = Path(__file__).with_name("models_for_tests.yaml")
TRAINING_CUTOFF = "2013-02-10"


@pytest.fixture
def test_models(monkeypatch):
    monkeypatch.setenv("PLATFORM_MODELS_FILE", str(TEST_MODELS))
    return load_model_specs()


def _platform_assets_cli(*arguments: str) -> subprocess.CompletedProcess:
    """The installed `platform-assets` command, on the test's data root (from the environment)."""
    command = Path(sys.executable).parent / "platform-assets"
    return subprocess.run([str(command), *arguments], capture_output=True, text=True)


def _train_config(**candidate_config):
    return {
        "ops": {
            "ml__delay_classifier__training_set": {"config": {"cutoff_date": TRAINING_CUTOFF}},
            "ml__delay_classifier__candidate": {"config": candidate_config},
        }
    }


def test_adding_a_model_is_a_yaml_entry(tmp_path, monkeypatch):
    models = tmp_path / "models.yaml"
    text = TEST_MODELS.read_text()
    third = """
  weekend_delay_classifier:
    description: Delay risk from the schedule alone.
    task: binary_classification
    target: is_delayed
    features: [carrier, origin, sched_dep_hour, day_of_week]
    estimator: {class: LogisticRegression, params: {max_iter: 200}}
    training_window_days: 28
    validation_days: 7
    promotion: {metric: pr_auc, min_improvement: 0.0, floor: 0.1}
"""
    models.write_text(text + third)
    monkeypatch.setenv("PLATFORM_MODELS_FILE", str(models))
    models = platform_assets().models
    keys = {asset.key.to_user_string() for asset in models}
    for stage in ("training_set", "candidate", "evaluation", "champion", "predictions"):
        assert f"ml/weekend_delay_classifier/{stage}" in keys
        assert f"ml/delay_classifier/{stage}" in keys
    evaluation = next(
        a for a in models if a.key.to_user_string().endswith("weekend_delay_classifier/evaluation")
    )
    (check,) = evaluation.check_specs
    assert check.name == "promotion_gate" and check.blocking


def test_outcomes_and_labels_are_refused_as_features(test_models):
    roles = {"carrier": "feature", "arr_delay": "label", "is_delayed": "label"}
    spec = test_models["delay_classifier"]
    for leaked in (("carrier", "dep_delay"), ("air_time",), ("arr_delay",), ("is_delayed",)):
        with pytest.raises(LeakageError, match="known only after departure or a label"):
            resolve_features(
                spec.__class__(**{**spec.__dict__, "features": leaked}), roles, FeatureCatalog({})
            )


def test_a_leaking_feature_fails_the_definitions_with_a_clear_message(tmp_path, monkeypatch):
    models = tmp_path / "models.yaml"
    models.write_text(
        TEST_MODELS.read_text().replace("features: all", "features: [carrier, dep_delay]", 1)
    )
    monkeypatch.setenv("PLATFORM_MODELS_FILE", str(models))
    with pytest.raises(LeakageError, match="dep_delay.*Remove them from `features`"):
        platform_assets()


def test_a_bad_models_file_names_the_model_and_the_field(tmp_path):
    models = tmp_path / "models.yaml"
    models.write_text(TEST_MODELS.read_text().replace("task: regression", "task: clustering"))
    with pytest.raises(ModelSpecError, match="arrival_delay_regressor': task must be one of"):
        load_model_specs(models)
    models.write_text(
        TEST_MODELS.read_text().replace(
            "task: regression", "task: regression\n    keep_training_sets: 0"
        )
    )
    with pytest.raises(ModelSpecError, match="keep_training_sets must be a whole number"):
        load_model_specs(models)
    models.write_text(
        TEST_MODELS.read_text().replace(
            "task: regression", "task: regression\n    keep_report_days: ninety"
        )
    )
    with pytest.raises(ModelSpecError, match="keep_report_days must be a whole number of days"):
        load_model_specs(models)
    models.write_text(
        TEST_MODELS.read_text().replace(
            "task: regression", "task: regression\n    serving_skew_threshold: -1"
        )
    )
    with pytest.raises(ModelSpecError, match="serving_skew_threshold must be a positive number"):
        load_model_specs(models)


def test_train_evaluate_promote_and_predict_then_a_worse_candidate_is_kept_out(
    test_models, ml_data_paths, instance
):
    family = model_family(test_models["delay_classifier"])
    first = materialize_model_family(
        [family[s] for s in ("training_set", "candidate", "evaluation", "champion")],
        ml_data_paths,
        instance,
        run_config=_train_config(),
    )
    assert first.success
    (gate,) = first.get_asset_check_evaluations()
    assert gate.passed
    with connect(ml_data_paths.warehouse, read_only=True) as connection:
        serving = registry.champion(connection, "delay_classifier")
    assert serving.version == "v1"
    assert serving.metrics["roc_auc"] > 0.6
    assert serving.training_start.isoformat() == "2013-01-14"
    assert serving.training_end.isoformat() == TRAINING_CUTOFF

    # its card is kept beside it and printed by the CLI once its hash checks out
    shown = _platform_assets_cli("models", "show", "delay_classifier", "v1")
    assert shown.returncode == 0, shown.stderr
    card = shown.stdout.split("Model card (")[1]
    assert "# Model card: delay_classifier v1" in card and "**Intended use:**" in card
    assert f"2013-01-14 .. {TRAINING_CUTOFF}" in card and "## Where it errs most" in card
    kept = ml_data_paths.artifacts / "delay_classifier" / "v1.card.md"
    kept.write_text(kept.read_text().replace("PROMOTE", "promote"))
    tampered = _platform_assets_cli("models", "show", "delay_classifier", "v1")
    assert tampered.returncode == 1 and "was changed after its evaluation" in tampered.stderr

    predicted = materialize_model_family(
        [family["predictions"]], ml_data_paths, instance, partition_key="2013-02-11"
    )
    assert predicted.success
    snapshot = (
        "SELECT flight_id, model_version, score FROM ml.predictions "
        "WHERE model_name = 'delay_classifier' ORDER BY flight_id"
    )
    with connect(ml_data_paths.warehouse, read_only=True) as connection:
        first_scores = connection.execute(snapshot).fetchall()
        flights = connection.execute(
            "SELECT count(*) FROM marts.flight_features WHERE flight_date = '2013-02-11'"
        ).fetchone()[0]
    assert len(first_scores) == flights > 0
    assert {row[1] for row in first_scores} == {"v1"}
    again = materialize_model_family(
        [family["predictions"]], ml_data_paths, instance, partition_key="2013-02-11"
    )
    assert again.success
    with connect(ml_data_paths.warehouse, read_only=True) as connection:
        assert connection.execute(snapshot).fetchall() == first_scores

    crippled = {"hyperparameters": {"max_iter": 1, "learning_rate": 0.01, "early_stopping": False}}
    worse = materialize_model_family(
        [family[s] for s in ("training_set", "candidate", "evaluation", "champion")],
        ml_data_paths,
        instance,
        run_config=_train_config(**crippled),
    )
    (gate,) = worse.get_asset_check_evaluations()
    assert not gate.passed
    assert "its lower end is below the required" in gate.metadata["reason"].value
    # The blocking gate fails the evaluation step: the champion step never starts.
    started = {e.step_key for e in worse.all_events if e.event_type_value == "STEP_START"}
    assert "ml__delay_classifier__evaluation" in started
    assert "ml__delay_classifier__champion" not in started
    assert not worse.success
    assert not counts_as_failed(worse)  # a refusal is not a failure in the year's summary
    with connect(ml_data_paths.warehouse, read_only=True) as connection:
        assert registry.champion(connection, "delay_classifier").version == "v1"
        assert registry.get_version(connection, "delay_classifier", "v2").alias == "candidate"


def test_training_again_on_the_same_data_gives_the_same_fingerprint_and_metrics(
    test_models, ml_data_paths, instance
):
    """Each version keeps the training set it was fitted on; with `keep_training_sets: 1`
    the older version's set is pruned (it is not the champion). The window asks for days
    before the first one with data: the version records the days it was fitted on."""
    config = {
        "ops": {
            "ml__arrival_delay_regressor__training_set": {
                "config": {"cutoff_date": TRAINING_CUTOFF, "training_window_days": 60}
            }
        }
    }
    for keep in (10, 1):
        spec = replace(test_models["arrival_delay_regressor"], keep_training_sets=keep)
        family = model_family(spec)
        result = materialize_model_family(
            [family["training_set"], family["candidate"]], ml_data_paths, instance, config
        )
        assert result.success
    with connect(ml_data_paths.warehouse, read_only=True) as connection:
        first, second = (
            registry.get_version(connection, "arrival_delay_regressor", v) for v in ("v1", "v2")
        )
    assert first.data_fingerprint == second.data_fingerprint
    assert first.row_count == second.row_count
    assert first.training_start.isoformat() == FEATURE_DAYS[0]
    for metric in ("mae", "rmse"):
        assert second.metrics[metric] == pytest.approx(first.metrics[metric], rel=1e-9)
    assert first.artifact_sha256  # the registry verified and stored both artifacts
    sets = ml_data_paths.artifacts / "arrival_delay_regressor" / "training_sets"
    kept = second.params["training_set_run_id"]
    assert [path.name for path in sets.iterdir()] == [kept] != [first.params["training_set_run_id"]]
    described = json.loads((sets / kept / "training_set.json").read_text())
    assert described["fingerprint"] == second.data_fingerprint
