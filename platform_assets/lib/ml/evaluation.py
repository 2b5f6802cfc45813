"""Scoring models on held-out days and the promotion gate that decides on the champion.

The gate is a plain function of numbers, so its decision can be tested and explained: the
first model must clear the absolute floor; a later one must also beat the champion by the
declared margin on the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from platform_assets.lib.ml.spec import METRICS, ModelSpec, PromotionRule


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


def promotion_gate(
    rule: PromotionRule, candidate_value: float, champion_value: float | None
) -> GateDecision:
    """Decide promotion from the candidate's and the champion's metric on the same rows."""
    name = rule.metric
    clears_floor = (
        candidate_value >= rule.floor if rule.higher_is_better else candidate_value <= rule.floor
    )
    if not clears_floor:
        side = "below" if rule.higher_is_better else "above"
        return GateDecision(
            False, f"{name} {candidate_value:.4f} is {side} the floor {rule.floor:g}."
        )
    if champion_value is None:
        return GateDecision(
            True, f"First model: {name} {candidate_value:.4f} clears the floor {rule.floor:g}."
        )
    improvement = (
        candidate_value - champion_value
        if rule.higher_is_better
        else champion_value - candidate_value
    )
    if improvement < rule.min_improvement:
        return GateDecision(
            False,
            f"{name} {candidate_value:.4f} vs champion {champion_value:.4f}: improvement "
            f"{improvement:+.4f} is less than the required {rule.min_improvement:g}.",
        )
    return GateDecision(
        True,
        f"{name} {candidate_value:.4f} vs champion {champion_value:.4f}: improvement "
        f"{improvement:+.4f} meets the required {rule.min_improvement:g}.",
    )


def gate_for(spec: ModelSpec, candidate: dict[str, float], champion: dict[str, float] | None):
    """The gate applied to two metric dictionaries scored on the same held-out rows."""
    metric = spec.promotion.metric
    return promotion_gate(spec.promotion, candidate[metric], champion[metric] if champion else None)
