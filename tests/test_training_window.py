"""The training window: older flights count less when a model asks for it, and an expanding
window's first model is trained once its min_training_days have landed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from platform_assets.lib.ml.features import FEATURE_TABLE
from platform_assets.lib.ml.spec import ModelSpec, ModelSpecError, load_model_specs
from platform_assets.lib.ml.training import TrainingWindow, recency_weights, train
from platform_assets.lib.monitoring.model_state import gather_model_state
from platform_assets.lib.monitoring.retraining_policy import decide
from platform_assets.lib.monitoring.sensor_files import publish_labelled_days, read_labelled_days
from platform_assets.lib.paths import DataPaths

TEST_MODELS = Path(__file__).with_name("models_for_tests.yaml")
WINDOW = TrainingWindow.ending_at(date(2013, 3, 1), window_days=60, validation_days=10)


def _flights_whose_rule_turned() -> pd.DataFrame:
    """Sixty days of flights: delayed when x > 0 until 15 days before the held-out days, when
    x < 0 after."""
    rng = np.random.default_rng(0)
    days = [WINDOW.start + timedelta(days=i) for i in range(60) for _ in range(40)]
    x = rng.normal(size=len(days))
    turned = np.array([day >= WINDOW.validation_start - timedelta(days=15) for day in days])
    return pd.DataFrame(
        {
            "flight_date": pd.to_datetime(days),
            "x": x,
            "is_delayed": np.where(turned, x < 0, x > 0).astype(int),
        }
    )


def _spec(half_life: float | None) -> ModelSpec:
    return ModelSpec(
        name="turning",
        description="",
        task="binary_classification",
        target="is_delayed",
        features=("x",),
        estimator="LogisticRegression",
        training_window_days=60,
        validation_days=10,
        recency_half_life_days=half_life,
    )


def test_a_flight_one_half_life_older_than_the_held_out_days_weighs_half():
    frame = pd.DataFrame(
        {
            "flight_date": pd.to_datetime(
                [WINDOW.validation_start - timedelta(days=d) for d in (0, 7, 14)]
            )
        }
    )
    assert recency_weights(frame, WINDOW, 7.0) == pytest.approx([1.0, 0.5, 0.25])
    assert recency_weights(frame, WINDOW, None) is None


def test_with_a_short_half_life_the_model_follows_the_recent_rule():
    frame = _flights_whose_rule_turned()
    probe = pd.DataFrame({"x": [1.0]})

    equal = train(_spec(None), frame, ["x"], WINDOW).pipeline.predict_proba(probe)[0, 1]
    recent = train(_spec(3.0), frame, ["x"], WINDOW).pipeline.predict_proba(probe)[0, 1]

    assert equal > 0.5  # 35 days of the old rule outweigh 15 of the new
    assert recent < 0.5


def test_a_bad_half_life_names_the_field_and_what_to_write(tmp_path):
    models = tmp_path / "models.yaml"
    models.write_text(
        TEST_MODELS.read_text().replace(
            "training_window_days: 28",
            "training_window_days: 28\n    recency_half_life_days: -3",
            1,
        )
    )
    with pytest.raises(ModelSpecError, match="recency_half_life_days must be a positive number"):
        load_model_specs(models)
    models.write_text(
        TEST_MODELS.read_text().replace(
            "training_window_days: 28",
            "training_window_days: 28\n    recency_half_life_days: 30",
            1,
        )
    )
    assert {spec.recency_half_life_days for spec in load_model_specs(models).values()} == {
        30.0,
        None,
    }


def test_a_first_model_waits_for_min_training_days_not_the_whole_expanding_window(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    schema, table = FEATURE_TABLE.split(".")
    connection.execute(f"CREATE SCHEMA {schema}")
    connection.execute(
        f"CREATE TABLE {FEATURE_TABLE} AS SELECT CAST(DATE '2013-01-01' + INTERVAL (i) DAY "
        "AS DATE) AS flight_date, i % 2 AS is_delayed, CAST(NULL AS DOUBLE) AS arr_delay "
        "FROM range(30) t(i)"
    )
    paths = DataPaths(tmp_path)  # the sensor reads the labelled days the dbt run publishes
    publish_labelled_days(connection, paths.monitoring, FEATURE_TABLE, ["is_delayed", "arr_delay"])
    expanding = replace(_spec(None), training_window_days=366)
    waiting = gather_model_state(paths, expanding, retrain_in_flight=False)
    assert read_labelled_days(paths.monitoring, "arr_delay") == {}  # counted per label
    assert waiting.as_of is None  # 30 labelled days of 366: no first model
    ready = gather_model_state(
        paths, replace(expanding, min_training_days=30), retrain_in_flight=False
    )
    assert ready.as_of == date(2013, 1, 30)
    assert decide(expanding.retraining, True, ready).reason.startswith("no champion yet: train")


def test_min_training_days_outside_the_window_names_the_field(tmp_path):
    models = tmp_path / "models.yaml"
    models.write_text(
        TEST_MODELS.read_text().replace(
            "training_window_days: 28", "training_window_days: 28\n    min_training_days: 40", 1
        )
    )
    with pytest.raises(ModelSpecError, match="min_training_days must be longer than"):
        load_model_specs(models)
