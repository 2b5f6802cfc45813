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
from platform_assets.lib.ml.daily_comparison import compare_daily
from platform_assets.lib.ml.model_card import (
    feature_groups,
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


def test_day_block_interval_contains_the_difference_and_is_deterministic(
    classifier, regressor, held_out, probabilities
):
    # A second, different model: the regressor's predicted delay used as a delay score.
    delay_scores = regressor.predict(held_out[FEATURES])
    truth, days = held_out["is_delayed"], held_out["day"]

    def compare(**options):
        return compare_daily("roc_auc", days, truth, delay_scores, probabilities, **options)

    result = compare(seed=7)

    per_day = [
        roc_auc_score(rows["is_delayed"], delay_scores[rows.index])
        - roc_auc_score(rows["is_delayed"], probabilities[rows.index])
        for _, rows in held_out.groupby("day")
    ]
    assert result.days == held_out["day"].nunique() == len(per_day)
    assert result.difference == pytest.approx(np.mean(per_day))
    assert result.candidate - result.champion == pytest.approx(result.difference)
    assert result.low < result.difference < result.high
    assert compare(seed=7) == result
    assert compare(seed=8) != result
    narrower = compare(seed=7, confidence=0.5)
    assert result.low < narrower.low < narrower.high < result.high
    # days are the unit: a 90% interval spans about 3.3 standard errors of the daily mean
    standard_error = np.std(per_day) / np.sqrt(len(per_day))
    assert 2.5 * standard_error < result.high - result.low < 4 * standard_error


def test_a_model_compared_with_itself_differs_by_exactly_zero(held_out, probabilities):
    result = compare_daily(
        "roc_auc", held_out["day"], held_out["is_delayed"], probabilities, probabilities
    )
    assert (result.difference, result.low, result.high) == (0.0, 0.0, 0.0)


def test_a_clearly_worse_champion_gives_a_positive_interval(
    dummy_classifier, held_out, probabilities
):
    champion = dummy_classifier.predict_proba(held_out[FEATURES])[:, 1]
    result = compare_daily(
        "roc_auc", held_out["day"], held_out["is_delayed"], probabilities, champion
    )
    assert result.champion == 0.5
    assert 0 < result.low < result.difference < result.high


def test_days_where_the_metric_is_undefined_are_left_out(held_out, probabilities):
    # day 31 keeps only its on-time flights: no AUC that day, for either model
    one_class = ~((held_out["day"] == 31) & (held_out["is_delayed"] == 1))
    rows = held_out[one_class].reset_index(drop=True)
    scores = probabilities[one_class.to_numpy()]
    result = compare_daily("roc_auc", rows["day"], rows["is_delayed"], scores, 1 - scores)
    assert result.days == held_out["day"].nunique() - 1
    assert np.isfinite([result.difference, result.low, result.high]).all()
    with pytest.raises(ValueError, match="undefined on every held-out day"):
        on_time = rows[rows["is_delayed"] == 0]
        compare_daily("roc_auc", on_time["day"], on_time["is_delayed"], scores[: len(on_time)])


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


def test_a_feature_views_columns_are_shuffled_together(train, held_out):
    """Two noisy readings of the hour in one view: the model uses both, so shuffling one alone
    understates what the view is worth while the other still tells the hour."""
    from sklearn.inspection import permutation_importance

    def with_copies(frame):
        noise = np.random.default_rng(len(frame)).normal(scale=2.0, size=(2, len(frame)))
        copied = frame[FEATURES].assign(clock__hour=frame["hour"] + noise[0])
        return copied.drop(columns="hour").assign(clock__copy=frame["hour"] + noise[1])

    numeric = ["clock__hour", "distance", "minute", "noise", "clock__copy"]
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    columns = ColumnTransformer(
        [("categorical", encoder, CATEGORICAL), ("numeric", "passthrough", numeric)]
    )
    model = HistGradientBoostingClassifier(random_state=0, categorical_features=[0, 1])
    pipeline = Pipeline([("columns", columns), ("model", model)])
    pipeline.fit(with_copies(train), train["is_delayed"])
    held = with_copies(held_out).sample(n=3000, random_state=0)
    truth = held_out.loc[held.index, "is_delayed"]

    groups = feature_groups(list(held.columns))
    assert list(groups) == ["carrier", "origin", "distance", "minute", "noise", "clock:*"]
    assert groups["clock:*"] == ["clock__hour", "clock__copy"]
    table = permutation_importance_table(pipeline, held, truth, scoring="roc_auc")
    one_at_a_time = permutation_importance(
        pipeline, held, truth, scoring="roc_auc", n_repeats=3, random_state=0
    ).importances_mean

    importance = table.set_index("feature")["importance_mean"]
    assert sorted(importance.index) == sorted(groups)
    alone = dict(zip(held.columns, one_at_a_time, strict=True))
    assert importance["clock:*"] > max(alone["clock__hour"], alone["clock__copy"]) + 0.005
    assert importance["noise"] == pytest.approx(alone["noise"], abs=0.01)


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
    compared = compare_daily("roc_auc", held_out["day"], truth, probabilities, champion)
    difference, low, high = compared.difference, compared.low, compared.high
    metrics = {
        "roc_auc": {
            "candidate": roc_auc_score(truth, probabilities),
            "candidate_low": 0.61,
            "candidate_high": 0.72,
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
        "flight_delay",
        "v3",
        "v2",
        "Mean daily metrics on the 11 held-out days",
        metrics,
        "promote: AUC better",
        importance,
        slices,
        [roc],
    )

    assert card.startswith("# Model card: flight_delay v3\n")
    assert "**Decision:** promote: AUC better" in card
    metric_line = next(line for line in card.splitlines() if line.startswith("| roc_auc |"))
    assert f"{metrics['roc_auc']['candidate']:.4f} [0.6100, 0.7200]" in metric_line
    assert "0.5000" in metric_line
    assert f"{difference:+.4f} [{low:+.4f}, {high:+.4f}]" in metric_line
    assert "| metric | candidate v3 [CI] | champion v2 | difference [CI] |" in card
    assert "Mean daily metrics on the 11 held-out days." in card
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
        "flight_delay", "v1", None, "Mean daily", metrics, "first model", importance, no_slices, []
    )

    assert "champion (none)" in card
    assert "| roc_auc | " in card and "| — | — |" in card
    assert "No slice is large enough to judge." in card
    assert "## Plots" not in card
