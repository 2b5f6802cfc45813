"""The retraining decision: a plain function of what monitoring has seen and the policy.

The sensor gathers the state (monitoring tables, the registry, the run list) and calls
`decide`; the year's replay and the backtest call the same function, so what is tested is
what runs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from platform_assets.lib.ml.spec import RetrainingPolicy


@dataclass(frozen=True)
class ModelState:
    """What is known about one served model when deciding."""

    as_of: date | None  # the latest monitored day
    champion_version: str | None
    champion_validation_score: float | None  # its mean daily metric on its held-out days
    drift_shares: dict[date, float] = field(default_factory=dict)  # since the champion served
    daily_performance: dict[date, float] = field(default_factory=dict)
    labelled_rows_since_training: int = 0
    last_retrain_as_of: date | None = None
    retrain_in_flight: bool = False


@dataclass(frozen=True)
class RetrainingDecision:
    """Whether to retrain, why, and the numbers the reason is made of."""

    triggered: bool
    reason: str
    numbers: dict[str, float | int | str | None]


def policy_fingerprint(policy: RetrainingPolicy, metric: str) -> str:
    """A short hash of every setting the decision reads (the policy and the metric it judges
    performance by): a change to them in models.yaml changes it."""
    settings = json.dumps({**asdict(policy), "metric": metric}, sort_keys=True)
    return hashlib.sha256(settings.encode()).hexdigest()[:12]


def _drift_streak(shares: dict[date, float], as_of: date, threshold: float) -> int:
    """How many monitored days in a row, ending at as_of, had a drift share at the threshold."""
    streak, day = 0, as_of
    while day in shares and shares[day] >= threshold:
        streak += 1
        day -= timedelta(days=1)
    return streak


def _recent_performance(state: ModelState, days: int) -> float | None:
    window = [
        value
        for day, value in state.daily_performance.items()
        if state.as_of - timedelta(days=days) < day <= state.as_of
    ]
    return sum(window) / len(window) if window else None


def page_hinkley(values: list[float], delta: float, higher_is_better: bool) -> float:
    """The Page-Hinkley statistic of a fall in quality over `values`, oldest first.

    Each day's shortfall from the running mean of the days so far (its excess, for an error
    like MAE), less `delta`, is added up; the statistic is how far that sum stands above its
    lowest point. A steady series keeps it near zero, a lasting fall makes it climb. Written
    here rather than taken from `river`: the decision is a pure function recomputed from the
    stored daily metric at every tick, and river's detectors keep state between updates.
    """
    mean = cumulative = lowest = 0.0
    for count, value in enumerate(values, start=1):
        mean += (value - mean) / count
        shortfall = mean - value if higher_is_better else value - mean
        cumulative += shortfall - delta
        lowest = min(lowest, cumulative)
    return cumulative - lowest


def decide(
    policy: RetrainingPolicy, higher_is_better: bool, state: ModelState
) -> RetrainingDecision:
    """Retrain when a configured signal fires, unless a retrain is running or cooling down.

    With no champion at all, the first model is trained once enough labelled days exist (the
    model's min_training_days, a full training window by default: the state's as_of is set
    only then).
    """
    numbers: dict[str, float | int | str | None] = {
        "as_of": state.as_of.isoformat() if state.as_of else None,
        "champion_version": state.champion_version,
    }
    if state.retrain_in_flight:
        return RetrainingDecision(False, "a retrain of this model is already in flight", numbers)
    if state.champion_version is None:
        if state.as_of is None:
            return RetrainingDecision(
                False, "no champion yet, and not yet enough labelled days to train one", numbers
            )
        return RetrainingDecision(True, "no champion yet: training the first model", numbers)
    if state.as_of is None:
        return RetrainingDecision(False, "the champion has no monitored day yet", numbers)
    if state.last_retrain_as_of is not None:
        waited = (state.as_of - state.last_retrain_as_of).days
        numbers["days_since_last_retrain"] = waited
        if waited < policy.cooldown_days:
            return RetrainingDecision(
                False,
                f"cooling down: {waited} of {policy.cooldown_days} days since the last retrain",
                numbers,
            )

    signals: list[str] = []
    if policy.drift_share_at_least is not None:
        streak = _drift_streak(state.drift_shares, state.as_of, policy.drift_share_at_least)
        numbers["drift_share"] = state.drift_shares.get(state.as_of)
        numbers["drift_streak_days"] = streak
        if streak >= policy.for_consecutive_days:
            signals.append(
                f"drift share >= {policy.drift_share_at_least:g} for {streak} days in a row"
            )
    performance = _recent_performance(state, policy.performance_window_days)
    numbers["recent_performance"] = performance
    numbers["champion_validation_score"] = state.champion_validation_score
    if performance is not None:
        worse = (lambda a, b: a < b) if higher_is_better else (lambda a, b: a > b)
        if policy.performance_worse_than is not None and worse(
            performance, policy.performance_worse_than
        ):
            signals.append(
                f"performance {performance:.4f} is worse than the floor "
                f"{policy.performance_worse_than:g}"
            )
        if policy.performance_drop_of is not None and state.champion_validation_score is not None:
            drop = (
                state.champion_validation_score - performance
                if higher_is_better
                else performance - state.champion_validation_score
            )
            numbers["performance_drop"] = drop
            if drop >= policy.performance_drop_of:
                signals.append(
                    f"performance dropped by {drop:.4f} against validation "
                    f"(limit {policy.performance_drop_of:g})"
                )
    if policy.page_hinkley_threshold is not None:
        # the detector restarts at each retrain, promoted or refused: a refused candidate
        # answers the alarm, and the served model's old shortfall would refire it at once
        series = [
            value
            for day, value in sorted(state.daily_performance.items())
            if state.last_retrain_as_of is None or day > state.last_retrain_as_of
        ]
        statistic = page_hinkley(series, policy.page_hinkley_delta, higher_is_better)
        numbers["page_hinkley"] = statistic
        if statistic >= policy.page_hinkley_threshold:
            signals.append(
                f"Page-Hinkley {statistic:.4f} on the daily metric reached "
                f"{policy.page_hinkley_threshold:g}"
            )
    numbers["labelled_rows_since_training"] = state.labelled_rows_since_training
    if (
        policy.new_labelled_rows is not None
        and state.labelled_rows_since_training >= policy.new_labelled_rows
    ):
        signals.append(
            f"{state.labelled_rows_since_training} new labelled rows "
            f"(at least {policy.new_labelled_rows})"
        )
    if signals:
        return RetrainingDecision(True, "; ".join(signals), numbers)
    return RetrainingDecision(False, "no retraining signal", numbers)
