"""A backtest of retraining policies on the real year: never, monthly, and signal-driven.

Each policy starts from a first model trained, with the model's own training window, on the
days before the first backtest day (policies with the same window share it) and serves
every day in turn. A retrain fits a candidate on the window ending that day and replaces the
served model only if the promotion gate passes, as in the platform. The functions are the
platform's own: the reference drawn from held-out days (`window_rows`), the day's drift
(`feature_drift`, exclusions included), the gate (`compare_daily` and `promotion_gate`) and
the decision (`decide`). Plain Python on the feature table.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from platform_assets.lib.features.retrieval import read_feature_rows
from platform_assets.lib.ml.daily_comparison import (
    block_bootstrap_interval,
    compare_daily,
    daily_metric,
)
from platform_assets.lib.ml.evaluation import GateDecision, metric_value, predict, promotion_gate
from platform_assets.lib.ml.spec import ModelSpec, RetrainingPolicy
from platform_assets.lib.ml.training import (
    TrainingWindow,
    is_held_out,
    prepare_features,
    reference_sample,
    target_values,
    train,
    window_rows,
)
from platform_assets.lib.monitoring.retraining_policy import ModelState, decide


@dataclass
class ServedModel:
    """A model in service during the backtest: pipeline, window, validation score, reference."""

    pipeline: object
    training_end: date
    validation_score: float
    reference: pd.DataFrame
    reference_scores: np.ndarray


@dataclass(frozen=True)
class Retrain:
    """One retrain of the backtest: the day, why, and the gate's decision on the candidate."""

    day: date
    reason: str
    gate: GateDecision

    @property
    def promoted(self) -> bool:
        return self.gate.passed


@dataclass
class BacktestResult:
    """Daily metric and drift share of the served model, and the retrains."""

    policy: str
    daily: dict[date, float] = field(default_factory=dict)
    drift_shares: dict[date, float] = field(default_factory=dict)  # of the served model
    retrains: list[Retrain] = field(default_factory=list)

    @property
    def mean_daily(self) -> float:
        return self.mean_daily_between(None)

    def mean_daily_between(self, between: tuple[date, date] | None) -> float:
        """The mean daily metric over the days first..last of `between` (None: every day)."""
        return float(np.mean([self.daily[day] for day in _days_between(self.daily, between)]))

    def retrains_between(self, between: tuple[date, date] | None) -> list[Retrain]:
        return [r for r in self.retrains if between is None or between[0] <= r.day <= between[1]]


def _days_between(days, between: tuple[date, date] | None) -> list[date]:
    return sorted(d for d in days if between is None or between[0] <= d <= between[1])


@dataclass(frozen=True)
class PolicyDifference:
    """Mean daily metric of one policy minus another's over the days both served, with the
    interval from resampling whole weeks (a week's days share its weather and its traffic)."""

    difference: float
    low: float
    high: float
    days: int
    weeks: int


def compare_policies(
    result: BacktestResult,
    other: BacktestResult,
    confidence: float = 0.95,
    between: tuple[date, date] | None = None,
) -> PolicyDifference:
    """`result` minus `other`, paired by day (those of `between`, or all), with a week-block
    bootstrap interval."""
    days = _days_between(set(result.daily) & set(other.daily), between)
    differences = np.array([result.daily[day] - other.daily[day] for day in days])
    weeks = np.array([day.isocalendar()[:2] for day in days])
    week_labels = weeks[:, 0] * 100 + weeks[:, 1]
    low, high = block_bootstrap_interval(differences, week_labels, confidence)
    return PolicyDifference(
        float(differences.mean()), low, high, len(days), len(np.unique(week_labels))
    )


def _fit(connection, spec: ModelSpec, features: list[str], cutoff: date) -> ServedModel:
    window = TrainingWindow.ending_at(cutoff, spec.training_window_days, spec.validation_days)
    frame, population = window_rows(
        connection, features, spec.target, window, spec.prediction_lead_minutes
    )
    trained = train(spec, frame, features, window)
    held_out = frame[is_held_out(frame, window)]
    prediction = predict(spec.task, trained.pipeline, prepare_features(held_out, features))
    days = held_out["flight_date"].dt.date
    y_true = target_values(spec, held_out)
    validation = float(daily_metric(spec.promotion.metric, days, y_true, prediction).mean())
    reference = reference_sample(population, features)
    scores = predict(spec.task, trained.pipeline, prepare_features(reference, features))
    return ServedModel(trained.pipeline, cutoff, validation, reference, np.asarray(scores))


def gate_decision(
    connection, spec, features, candidate: ServedModel, served: ServedModel
) -> GateDecision:
    """The platform's gate, the same function on the same numbers: both models' mean daily
    metric on the candidate's held-out days, and the day-block interval of the difference."""
    window = TrainingWindow.ending_at(
        candidate.training_end, spec.training_window_days, spec.validation_days
    )
    rows = read_feature_rows(
        connection,
        features,
        window.validation_start,
        window.end,
        spec.target,
        spec.prediction_lead_minutes,
    )
    prepared = prepare_features(rows, features)
    comparison = compare_daily(
        spec.promotion.metric,
        rows["flight_date"].dt.date,
        target_values(spec, rows),
        predict(spec.task, candidate.pipeline, prepared),
        predict(spec.task, served.pipeline, prepared),
        spec.promotion.confidence,
    )
    return promotion_gate(spec.promotion, comparison)


def run_backtest(
    connection: duckdb.DuckDBPyConnection,
    spec: ModelSpec,
    features: list[str],
    policy_name: str,
    first_day: date,
    last_day: date,
    policy: RetrainingPolicy | None = None,
    drift_settings=None,
) -> BacktestResult:
    """Serve first_day..last_day under one policy: 'never', 'monthly' or 'signal'."""
    from platform_assets.lib.monitoring.drift import feature_drift

    result = BacktestResult(policy_name)
    served = _fit(connection, spec, features, first_day - timedelta(days=1))
    # every flight, as monitoring reads a day: drift over all of them, performance over the
    # labelled ones
    year = read_feature_rows(
        connection,
        [*features, spec.target],
        first_day,
        last_day,
        lead_minutes=spec.prediction_lead_minutes,
    )
    drift_shares: dict[date, float] = {}
    served_performance: dict[date, float] = {}
    last_retrain: date | None = None
    new_rows = 0
    for day, flights in year.groupby(year["flight_date"].dt.date):
        rows = flights[flights[spec.target].notna()]
        prediction = predict(spec.task, served.pipeline, prepare_features(rows, features))
        y_true = target_values(spec, rows)
        if spec.task == "binary_classification" and y_true.nunique() < 2:
            continue
        result.daily[day] = metric_value(spec.promotion.metric, y_true, prediction)
        served_performance[day] = result.daily[day]
        new_rows += len(rows)
        if policy_name == "never":
            continue
        if policy_name == "monthly":
            reason = "end of a month" if (day + timedelta(days=1)).day == 1 else None
        else:
            drift = feature_drift(served.reference, flights, features, drift_settings)
            drift_shares[day] = result.drift_shares[day] = drift.drift_share
            state = ModelState(
                as_of=day,
                champion_version="served",
                champion_validation_score=served.validation_score,
                drift_shares=drift_shares,
                daily_performance=served_performance,
                labelled_rows_since_training=new_rows,
                last_retrain_as_of=last_retrain,
            )
            decision = decide(policy, spec.promotion.higher_is_better, state)
            reason = decision.reason if decision.triggered else None
        if reason is None:
            continue
        candidate = _fit(connection, spec, features, day)
        retrain = Retrain(day, reason, gate_decision(connection, spec, features, candidate, served))
        result.retrains.append(retrain)
        last_retrain, new_rows = day, 0
        if retrain.promoted:  # monitoring starts afresh for the new served model, as the sensor
            served, drift_shares, served_performance = candidate, {}, {}
    return result


def with_policy(spec: ModelSpec, **changes) -> RetrainingPolicy:
    """The model's retraining policy with some settings changed (for tuning)."""
    return replace(spec.retraining, **changes)
