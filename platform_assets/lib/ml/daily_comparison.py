"""The promotion gate's evidence: a difference in mean daily metric, with a day-block interval.

Flights of one day share its weather, its congestion and its delays: they are not
independent draws, so resampling flights gives intervals far narrower than the truth.
Days are resampled instead, each with all its flights (a block bootstrap whose blocks are
days), and the candidate and the champion are compared on the same resampled days. The mean
daily metric is also what monitoring records and the retraining sensor reads, so the gate,
the model card and the performance trigger speak of the same number.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

RESAMPLES = 2000


@dataclass(frozen=True)
class DailyComparison:
    """One metric's mean over held-out days for the candidate (and the champion), with the
    interval of candidate - champion from resampling days; for the candidate alone, the
    interval of its mean daily metric (the model card's) and the range of its middle
    `confidence` share of held-out days (the band monitoring draws a served day against)."""

    metric: str
    candidate: float
    champion: float | None
    difference: float | None
    low: float | None
    high: float | None
    days: int
    confidence: float
    candidate_low: float
    candidate_high: float
    day_low: float
    day_high: float


def daily_metric(metric: str, days: Sequence, y_true, prediction) -> pd.Series:
    """The metric of each day's flights, indexed by day; a day where it is undefined (an AUC
    of one class) is left out."""
    from platform_assets.lib.ml.evaluation import metric_value

    frame = pd.DataFrame(
        {"day": np.asarray(days), "y": np.asarray(y_true), "p": np.asarray(prediction)}
    )
    values = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for day, rows in frame.groupby("day", sort=True):
            try:
                value = metric_value(metric, rows["y"], rows["p"])
            except ValueError:
                continue
            if math.isfinite(value):
                values[day] = value
    return pd.Series(values, dtype=float)


def compare_daily(
    metric: str,
    days: Sequence,
    y_true,
    candidate,
    champion=None,
    confidence: float = 0.9,
    seed: int = 0,
) -> DailyComparison:
    """Mean daily `metric` of the candidate and the champion on the same flights, and the
    `confidence` interval of their difference (percentiles of RESAMPLES day resamples)."""
    mine = daily_metric(metric, days, y_true, candidate)
    if mine.empty:
        raise ValueError(f"{metric} is undefined on every held-out day")
    if champion is None:
        return DailyComparison(
            metric, float(mine.mean()), None, None, None, None, len(mine), confidence,
            *_own_intervals(mine, confidence, seed),
        )  # fmt: skip
    theirs = daily_metric(metric, days, y_true, champion)
    both = mine.index.intersection(theirs.index)
    if both.empty:
        raise ValueError(f"{metric} is undefined for the champion on every held-out day")
    differences = (mine[both] - theirs[both]).to_numpy()
    low, high = block_bootstrap_interval(differences, np.arange(len(both)), confidence, seed)
    return DailyComparison(
        metric,
        float(mine[both].mean()),
        float(theirs[both].mean()),
        float(differences.mean()),
        float(low),
        float(high),
        len(both),
        confidence,
        *_own_intervals(mine[both], confidence, seed),
    )


def _own_intervals(daily: pd.Series, confidence: float, seed: int) -> tuple[float, ...]:
    """The interval of the mean of `daily` (days resampled), then its middle `confidence`
    share of days."""
    values = daily.to_numpy()
    mean_low, mean_high = block_bootstrap_interval(values, np.arange(len(values)), confidence, seed)
    tail = (1 - confidence) / 2
    day_low, day_high = np.quantile(values, [tail, 1 - tail])
    return mean_low, mean_high, float(day_low), float(day_high)


def block_bootstrap_interval(
    values: np.ndarray, blocks: np.ndarray, confidence: float, seed: int = 0
) -> tuple[float, float]:
    """The `confidence` percentile interval of the mean of `values` when whole blocks (a label
    per value: a day, a week) are resampled with replacement, RESAMPLES times."""
    labels, block_of = np.unique(blocks, return_inverse=True)
    sums = np.bincount(block_of, weights=values)
    counts = np.bincount(block_of)
    chosen = np.random.default_rng(seed).integers(0, len(labels), (RESAMPLES, len(labels)))
    means = sums[chosen].sum(axis=1) / counts[chosen].sum(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return float(low), float(high)
