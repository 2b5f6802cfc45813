"""Scoring models on held-out days and the promotion gate that decides on the champion.

The gate is a plain function of numbers, so its decision can be tested and explained: the
first model must clear the absolute floor with its mean daily metric; a later one must also
beat the champion on the same days, and not only on average: the lower end of the
day-block interval of the improvement (`daily_comparison.py`) must reach the declared margin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from platform_assets.lib.ml.spec import METRICS, PromotionRule

if TYPE_CHECKING:
    from platform_assets.lib.ml.daily_comparison import DailyComparison


def predict(task: str, pipeline, features) -> np.ndarray:
    """Scores a model serves: the probability of the positive class, or the predicted value."""
    if task == "binary_classification":
        return pipeline.predict_proba(features)[:, 1]
    return pipeline.predict(features)


def metric_value(metric: str, y_true, prediction) -> float:
    """One metric of METRICS, computed with scikit-learn."""
    from sklearn import metrics

    functions = {
        "roc_auc": metrics.roc_auc_score,
        "pr_auc": metrics.average_precision_score,
        "log_loss": lambda y, p: metrics.log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1]),
        "brier": metrics.brier_score_loss,
        "mae": metrics.mean_absolute_error,
        "rmse": metrics.root_mean_squared_error,
    }
    return float(functions[metric](y_true, prediction))


def score(task: str, y_true, prediction) -> dict[str, float]:
    """Every metric of the task."""
    return {metric: metric_value(metric, y_true, prediction) for metric in METRICS[task]}


def per_row_error(task: str, y_true, prediction) -> np.ndarray:
    """Error of each row: log loss for a classifier, absolute error for a regressor."""
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(prediction, dtype=float)
    if task == "binary_classification":
        p = np.clip(p, 1e-15, 1 - 1e-15)
        return -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return np.abs(y - p)


@dataclass(frozen=True)
class GateDecision:
    """Whether the candidate may become champion, and why, in a sentence a user can read."""

    passed: bool
    reason: str


def promotion_gate(rule: PromotionRule, comparison: DailyComparison) -> GateDecision:
    """Decide promotion from the candidate's and the champion's mean daily metric on the same
    held-out days and the interval of their difference."""
    name, candidate = rule.metric, comparison.candidate
    clears_floor = candidate >= rule.floor if rule.higher_is_better else candidate <= rule.floor
    if not clears_floor:
        side = "below" if rule.higher_is_better else "above"
        return GateDecision(
            False, f"mean daily {name} {candidate:.4f} is {side} the floor {rule.floor:g}."
        )
    if comparison.champion is None:
        return GateDecision(
            True,
            f"First model: mean daily {name} {candidate:.4f} clears the floor {rule.floor:g}.",
        )
    # improvements are oriented so that positive is better, for an error metric too
    sign = 1 if rule.higher_is_better else -1
    improvement = sign * comparison.difference
    low, high = sorted((sign * comparison.low, sign * comparison.high))
    evidence = (
        f"mean daily {name} {candidate:.4f} vs champion {comparison.champion:.4f} over "
        f"{comparison.days} held-out days: improvement {improvement:+.4f}, "
        f"{comparison.confidence:.0%} interval [{low:+.4f}, {high:+.4f}]"
    )
    if low < rule.min_improvement:
        return GateDecision(
            False, f"{evidence}; its lower end is below the required {rule.min_improvement:g}."
        )
    return GateDecision(
        True, f"{evidence}; its lower end meets the required {rule.min_improvement:g}."
    )
