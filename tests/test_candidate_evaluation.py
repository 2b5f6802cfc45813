"""Evaluating a candidate: a model without one gets an error that says what to run, and the
promotion gate decides on the interval of the improvement, not on its mean alone."""

from __future__ import annotations

import pytest

from platform_assets.lib.ml.candidate_evaluation import NoCandidateError, awaiting_candidate
from platform_assets.lib.ml.daily_comparison import DailyComparison
from platform_assets.lib.ml.evaluation import promotion_gate
from platform_assets.lib.ml.spec import PromotionRule, load_model_specs
from platform_assets.lib.warehouse import connect


def test_no_candidate_is_a_clear_error_on_an_empty_warehouse(data_paths):
    spec = load_model_specs()["delay_classifier"]
    data_paths.root.mkdir(parents=True)
    with (
        connect(data_paths.warehouse) as connection,
        pytest.raises(NoCandidateError, match="materialize ml/delay_classifier/candidate"),
    ):
        awaiting_candidate(connection, spec)


def _compared(metric: str, candidate: float, champion: float | None, low=None, high=None):
    difference = None if champion is None else candidate - champion
    # the candidate's own interval plays no part in the gate
    return DailyComparison(metric, candidate, champion, difference, low, high, 14, 0.8, 0, 1, 0, 1)


def test_the_gate_promotes_only_when_the_lower_end_of_the_interval_reaches_the_margin():
    rule = PromotionRule("roc_auc", min_improvement=0.002, floor=0.6, confidence=0.8)
    sure = promotion_gate(rule, _compared("roc_auc", 0.70, 0.69, 0.004, 0.016))
    # the same mean improvement (+0.01 >= 0.002), but the days disagree too much to be sure
    unsure = promotion_gate(rule, _compared("roc_auc", 0.70, 0.69, -0.001, 0.021))
    assert sure.passed and "80% interval [+0.0040, +0.0160]" in sure.reason
    assert "over 14 held-out days" in sure.reason
    assert not unsure.passed and "its lower end is below the required 0.002" in unsure.reason

    assert promotion_gate(rule, _compared("roc_auc", 0.65, None)).passed
    below = promotion_gate(rule, _compared("roc_auc", 0.58, None))
    assert not below.passed and "below the floor 0.6" in below.reason


def test_for_an_error_metric_the_improvement_is_a_decrease():
    rule = PromotionRule("mae", min_improvement=0.05, floor=35.0, confidence=0.8)
    better = promotion_gate(rule, _compared("mae", 24.5, 25.0, -0.9, -0.1))
    worse = promotion_gate(rule, _compared("mae", 25.5, 25.0, 0.1, 0.9))
    assert better.passed and "improvement +0.5000, 80% interval [+0.1000, +0.9000]" in better.reason
    assert not worse.passed and "interval [-0.9000, -0.1000]" in worse.reason
