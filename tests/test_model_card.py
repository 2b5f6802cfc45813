"""Model card helpers on real January 2013 flights with real fitted scikit-learn pipelines."""

from __future__ import annotations

import base64
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from platform_assets.lib.demo_data import package_data_dir
from platform_assets.lib.ml.model_card import (
    bootstrap_metric_difference,
    model_card_markdown,
    permutation_importance_table,
    worst_slices,
)
from platform_assets.lib.ml.plots import (
    calibration_markdown,
    residuals_markdown,
    roc_curve_markdown,
    time_series_markdown,
)

FLIGHTS_ZIP = package_data_dir() / "flights.csv.zip"
CATEGORICAL = ["carrier", "origin"]
NUMERIC = ["hour", "distance", "minute", "noise"]
FEATURES = CATEGORICAL + NUMERIC
TRAIN_DAYS = range(1, 21)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def january() -> pd.DataFrame:
    """January flights that arrived, with a label and a pure-noise column the label ignores."""
    flights = pd.read_csv(FLIGHTS_ZIP, na_values="NA", nrows=30000)
    flights = flights[(flights["month"] == 1) & flights["arr_delay"].notna()].reset_index(drop=True)
    flights["is_delayed"] = (flights["arr_delay"] > 15).astype(int)
    flights["noise"] = np.random.default_rng(0).normal(size=len(flights))
    return flights


@pytest.fixture(scope="module")
def train(january) -> pd.DataFrame:
    return january[january["day"].isin(TRAIN_DAYS)].sample(n=6000, random_state=0)


@pytest.fixture(scope="module")
def held_out(january) -> pd.DataFrame:
    return january[~january["day"].isin(TRAIN_DAYS)].reset_index(drop=True)


def _pipeline(model) -> Pipeline:
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    columns = ColumnTransformer(
        [("categorical", encoder, CATEGORICAL), ("numeric", "passthrough", NUMERIC)]
    )
    return Pipeline([("columns", columns), ("model", model)])


@pytest.fixture(scope="module")
def classifier(train) -> Pipeline:
    model = HistGradientBoostingClassifier(
        random_state=0, categorical_features=[0, 1], max_iter=100
    )
    return _pipeline(model).fit(train[FEATURES], train["is_delayed"])


@pytest.fixture(scope="module")
def dummy_classifier(train) -> Pipeline:
    return _pipeline(DummyClassifier(strategy="prior")).fit(train[FEATURES], train["is_delayed"])


@pytest.fixture(scope="module")
def regressor(train) -> Pipeline:
    model = HistGradientBoostingRegressor(random_state=0, categorical_features=[0, 1])
    return _pipeline(model).fit(train[FEATURES], train["arr_delay"])


@pytest.fixture(scope="module")
def probabilities(classifier, held_out) -> np.ndarray:
    return classifier.predict_proba(held_out[FEATURES])[:, 1]


def _decoded_png(markdown: str) -> bytes:
    match = re.fullmatch(r"!\[[^\]]*\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", markdown)
    assert match, markdown[:80]
    return base64.b64decode(match.group(1), validate=True)


def test_bootstrap_interval_contains_the_difference_and_is_deterministic(
    classifier, regressor, held_out, probabilities
):
    # A second, different model: the regressor's predicted delay used as a delay score.
    delay_scores = regressor.predict(held_out[FEATURES])
    truth = held_out["is_delayed"]

    def bootstrap(**options):
        return bootstrap_metric_difference(
            truth, delay_scores, probabilities, roc_auc_score, n_resamples=100, **options
        )

    difference, low, high = bootstrap(seed=7)

    expected = roc_auc_score(truth, delay_scores) - roc_auc_score(truth, probabilities)
    assert difference == pytest.approx(expected)
    assert low < difference < high
    assert bootstrap(seed=7) == (difference, low, high)
    assert bootstrap(seed=8) != (difference, low, high)
    narrower = bootstrap(seed=7, confidence=0.5)
    assert low < narrower[1] < narrower[2] < high


def test_a_model_compared_with_itself_differs_by_exactly_zero(held_out, probabilities):
    result = bootstrap_metric_difference(
        held_out["is_delayed"], probabilities, probabilities, roc_auc_score
    )
    assert result == (0.0, 0.0, 0.0)


def test_a_clearly_worse_champion_gives_a_positive_interval(
    dummy_classifier, held_out, probabilities
):
    champion = dummy_classifier.predict_proba(held_out[FEATURES])[:, 1]
    difference, low, high = bootstrap_metric_difference(
        held_out["is_delayed"], probabilities, champion, roc_auc_score
    )
    assert roc_auc_score(held_out["is_delayed"], champion) == 0.5
    assert 0 < low < difference < high


def test_resamples_where_the_metric_is_undefined_are_skipped(held_out, probabilities):
    # Three rows, one delayed: many resamples hold a single class and have no AUC.
    rows = [held_out["is_delayed"].idxmax(), *held_out.index[held_out["is_delayed"] == 0][:2]]
    truth, scores = held_out.loc[rows, "is_delayed"], probabilities[rows]
    difference, low, high = bootstrap_metric_difference(truth, scores, 1 - scores, roc_auc_score)
    assert np.isfinite([difference, low, high]).all()
    assert low <= high


def test_permutation_importance_ranks_an_informative_feature_above_noise(classifier, held_out):
    table = permutation_importance_table(
        classifier, held_out[FEATURES], held_out["is_delayed"], scoring="roc_auc", max_rows=3000
    )

    assert list(table.columns) == ["feature", "importance_mean", "importance_std"]
    assert sorted(table["feature"]) == sorted(FEATURES)
    assert table["importance_mean"].is_monotonic_decreasing
    importance = table.set_index("feature")["importance_mean"]
    assert importance["hour"] > 0.01
    assert importance["hour"] > importance["noise"] + 0.01
    again = permutation_importance_table(
        classifier, held_out[FEATURES], held_out["is_delayed"], scoring="roc_auc", max_rows=3000
    )
    pd.testing.assert_frame_equal(table, again)


def test_worst_slices_respects_min_rows_and_orders_by_error(held_out, probabilities):
    delayed = held_out["is_delayed"].to_numpy()
    error = -np.log(np.where(delayed == 1, probabilities, 1 - probabilities))
    assert error.mean() == pytest.approx(log_loss(delayed, probabilities))
    slice_columns = ["carrier", "origin", "hour"]

    slices = worst_slices(held_out, pd.Series(error), slice_columns, min_rows=100, top=4)

    assert list(slices.columns) == ["column", "value", "rows", "mean_error"]
    assert len(slices) == 4
    assert slices["mean_error"].is_monotonic_decreasing
    assert (slices["rows"] >= 100).all()
    eligible = []
    for column in slice_columns:
        for _, rows in held_out.groupby(column):
            if len(rows) >= 100:
                eligible.append(error[rows.index].mean())
    assert slices["mean_error"].tolist() == pytest.approx(sorted(eligible, reverse=True)[:4])
    small_carriers = held_out["carrier"].value_counts().loc[lambda counts: counts < 100].index
    assert len(small_carriers) > 0
    everything = worst_slices(held_out, error, slice_columns, min_rows=100, top=1000)
    assert not set(small_carriers) & set(everything.loc[everything["column"] == "carrier", "value"])


def test_each_plot_is_a_small_decodable_png(classifier, regressor, held_out, probabilities):
    predicted_delay = regressor.predict(held_out[FEATURES])
    daily = held_out.assign(probability=probabilities).groupby("day")
    days = [f"2013-01-{day:02d}" for day in daily.groups]
    plots = [
        roc_curve_markdown(held_out["is_delayed"], probabilities, "ROC [held out]"),
        calibration_markdown(held_out["is_delayed"], probabilities, "Calibration", bins=8),
        residuals_markdown(held_out["arr_delay"], predicted_delay, "Arrival delay residuals"),
        time_series_markdown(
            days,
            {
                "AUC": [roc_auc_score(day["is_delayed"], day["probability"]) for _, day in daily],
                "delayed share": daily["is_delayed"].mean().tolist(),
            },
            "Performance by day",
            "value",
        ),
    ]
    for markdown in plots:
        png = _decoded_png(markdown)
        assert png.startswith(PNG_SIGNATURE)
        assert len(markdown) < 100_000
    assert plots[0].startswith("![ROC (held out)](data:image/png;base64,")


def test_model_card_holds_the_decision_metrics_and_sections(
    classifier, dummy_classifier, held_out, probabilities
):
    champion = dummy_classifier.predict_proba(held_out[FEATURES])[:, 1]
    truth = held_out["is_delayed"]
    difference, low, high = bootstrap_metric_difference(
        truth, probabilities, champion, roc_auc_score
    )
    metrics = {
        "roc_auc": {
            "candidate": roc_auc_score(truth, probabilities),
            "champion": roc_auc_score(truth, champion),
            "difference": difference,
            "ci_low": low,
            "ci_high": high,
        }
    }
    importance = permutation_importance_table(
        classifier, held_out[FEATURES], truth, scoring="roc_auc", max_rows=2000
    )
    error = np.abs(truth - probabilities)
    slices = worst_slices(held_out, error, ["carrier", "origin"], min_rows=50, top=3)
    roc = roc_curve_markdown(truth, probabilities, "ROC")

    card = model_card_markdown(
        "flight_delay", "v3", "v2", metrics, "promote: AUC better", importance, slices, [roc]
    )

    assert card.startswith("# Model card: flight_delay v3\n")
    assert "**Decision:** promote: AUC better" in card
    metric_line = next(line for line in card.splitlines() if line.startswith("| roc_auc |"))
    assert f"{metrics['roc_auc']['candidate']:.4f}" in metric_line
    assert "0.5000" in metric_line
    assert f"{difference:+.4f} [{low:+.4f}, {high:+.4f}]" in metric_line
    assert "| metric | candidate v3 | champion v2 | difference [CI] |" in card
    sections = ["## Metrics", "## What drives the candidate", "## Where it errs most", "## Plots"]
    positions = [card.index(section) for section in sections]
    assert positions == sorted(positions)
    assert f"| {importance['feature'][0]} |" in card
    assert (
        f"| carrier | {slices['value'][0]} |" in card
        or f"| origin | {slices['value'][0]} |" in card
    )
    assert roc in card


def test_model_card_without_a_champion(classifier, held_out, probabilities):
    metrics = {"roc_auc": {"candidate": roc_auc_score(held_out["is_delayed"], probabilities)}}
    importance = permutation_importance_table(
        classifier, held_out[FEATURES], held_out["is_delayed"], scoring="roc_auc", max_rows=1000
    )
    no_slices = worst_slices(held_out, probabilities, ["origin"], min_rows=len(held_out) + 1)

    card = model_card_markdown(
        "flight_delay", "v1", None, metrics, "promote: first model", importance, no_slices, []
    )

    assert "champion (none)" in card
    assert "| roc_auc | " in card and "| — | — |" in card
    assert "No slice is large enough to judge." in card
    assert "## Plots" not in card
