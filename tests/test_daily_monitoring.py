"""One day's monitoring computed from data, without Dagster: drift rows, and performance only
where the day's labels allow a metric."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from platform_assets.lib.demo_data import package_data_dir
from platform_assets.lib.ml.spec import load_model_specs
from platform_assets.lib.monitoring.daily_monitoring import monitor_day
from platform_assets.lib.monitoring.drift import DriftMethod, configured_drift_settings
from platform_assets.lib.monitoring.monitoring_store import DRIFT_SHARE

FEATURES = ["distance", "sched_dep_time", "carrier", "origin"]


@pytest.fixture(scope="module")
def january() -> pd.DataFrame:
    flights = pd.read_csv(package_data_dir() / "flights.csv.zip", na_values="NA", nrows=30_000)
    flights = flights[flights["month"] == 1].copy()
    flights["is_delayed"] = (flights["arr_delay"] > 15).astype(float)
    flights.loc[flights["arr_delay"].isna(), "is_delayed"] = np.nan
    flights["score"] = np.random.default_rng(0).random(len(flights))
    return flights


@pytest.fixture(scope="module")
def served(january):
    """What monitor_day reads of a served version: its features and reference sample."""
    reference = january[january["day"] <= 20].sample(3_000, random_state=0)
    return SimpleNamespace(
        features=FEATURES, reference=reference, reference_scores=reference["score"].to_numpy()
    )


def test_a_day_gets_its_drift_share_per_column_scores_and_performance(january, served):
    spec = load_model_specs()["delay_classifier"]
    day = january[january["day"] == 25]
    _, drift_rows, performance_rows, rows, labelled = monitor_day(
        spec, served, day, configured_drift_settings()
    )
    metrics = dict(drift_rows)
    assert 0.0 <= metrics[DRIFT_SHARE] <= 1.0
    assert {f"column:{name}" for name in FEATURES} <= set(metrics)
    assert rows == len(day) and labelled == day["is_delayed"].notna().sum() < rows
    assert {name for name, _ in performance_rows} == set(spec.metrics)


def test_a_day_with_one_label_class_records_no_performance(january, served):
    spec = load_model_specs()["delay_classifier"]
    day = january[(january["day"] == 25) & (january["is_delayed"] != 1)]
    *_, performance_rows, rows, labelled = monitor_day(
        spec, served, day, configured_drift_settings()
    )
    assert performance_rows == [] and labelled > 0


def test_drift_methods_come_from_the_models_file(tmp_path):
    models = tmp_path / "models.yaml"
    models.write_text("drift:\n  numeric: {method: ks, threshold: 0.05}\nmodels: {}\n")
    settings = configured_drift_settings(models)
    assert settings.numeric == DriftMethod("ks", 0.05)
    assert settings.categorical == DriftMethod("jensenshannon", 0.1)  # the default stays


def test_an_excluded_column_is_left_out_of_the_drift_share(january, served):
    spec = load_model_specs()["delay_classifier"]
    day = january[january["day"] == 25]
    settings = replace(configured_drift_settings(), excluded_columns=(("carrier", "a test"),))
    drift, drift_rows, *_ = monitor_day(spec, served, day, settings)
    assert [c.column for c in drift.columns] == ["distance", "sched_dep_time", "origin"]
    assert "column:carrier" not in dict(drift_rows)
    assert dict(drift_rows)[DRIFT_SHARE] == len(drift.drifted_columns) / 3
