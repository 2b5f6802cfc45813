"""A candidate judged against the champion on the same held-out days, with its model card.

The held-out days are the candidate's last training-window days, which it never saw. The
result (mean daily metrics side by side with day-block intervals, the gate's verdict on the
promotion metric's interval and the markdown card explaining them) is recorded in
`ml.model_evaluations`; the Dagster asset (`defs/ml/promotion_assets.py`) shows it and turns
the verdict into its blocking check. The card is kept with the version too, beside its
artifact (`<version>.card.md`, its SHA-256 in the evaluation's row), where
`platform-assets models show` finds it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from platform_assets.lib.atomic_files import write_atomically
from platform_assets.lib.ml.artifacts import model_card_path
from platform_assets.lib.ml.evaluation_log import Evaluation, record_evaluation
from platform_assets.lib.ml.features import version_feature_rows
from platform_assets.lib.ml.spec import ModelSpec
from platform_assets.lib.monitoring.evidently_workspace import dashboard_url

SLICE_COLUMNS = ["carrier", "origin", "sched_dep_hour"]
IMPORTANCE_SCORING = {"binary_classification": "roc_auc", "regression": "neg_mean_absolute_error"}


class NoCandidateError(ValueError):
    """The model has no candidate awaiting evaluation or promotion."""


@dataclass(frozen=True)
class CandidateEvaluation:
    """What one evaluation decided and on which rows, for the asset's metadata and check."""

    candidate: Any
    champion: Any
    held_out_start: date
    rows: int
    table: dict[str, dict[str, float | None]]
    card: str
    gate: Any


def awaiting_candidate(connection: duckdb.DuckDBPyConnection, spec: ModelSpec):
    """The newest version with the candidate alias."""
    from platform_assets.lib.ml import registry

    candidates = [
        v for v in registry.list_versions(connection, spec.name) if v.alias == "candidate"
    ]
    if not candidates:
        raise NoCandidateError(
            f"Model '{spec.name}' has no candidate awaiting evaluation: materialize "
            f"ml/{spec.name}/candidate first."
        )
    return max(candidates, key=lambda version: version.version_number)


def compare_on_days(spec: ModelSpec, days, y_true, scores) -> dict[str, Any]:
    """Every metric of the task as a mean over the held-out days, candidate against champion,
    with the day-block interval at the promotion's confidence."""
    from platform_assets.lib.ml.daily_comparison import compare_daily
    from platform_assets.lib.ml.spec import METRICS

    return {
        metric: compare_daily(
            metric,
            days,
            y_true,
            scores["candidate_prediction"],
            scores.get("champion_prediction"),
            spec.promotion.confidence,
        )
        for metric in METRICS[spec.task]
    }


def model_card(spec, candidate, champion, frame, y_true, scores, comparisons, gate, pipeline):
    """The metrics table the gate decided on, the markdown card explaining it twice (with its
    plot for the asset's metadata, and text only to keep beside the version) and the
    candidate's permutation importance."""
    from platform_assets.lib.ml.evaluation import per_row_error
    from platform_assets.lib.ml.model_card import (
        model_card_markdown,
        permutation_importance_table,
        worst_slices,
    )
    from platform_assets.lib.ml.plots import residuals_markdown, roc_curve_markdown
    from platform_assets.lib.ml.training import prepare_features

    table = {
        metric: {
            "candidate": c.candidate,
            "candidate_low": c.candidate_low,
            "candidate_high": c.candidate_high,
            "champion": c.champion,
            "difference": c.difference,
            "ci_low": c.low,
            "ci_high": c.high,
        }
        for metric, c in comparisons.items()
    }
    promotion = comparisons[spec.promotion.metric]
    heading = (
        f"Mean daily metrics on the {promotion.days} held-out days, with "
        f"{promotion.confidence:.0%} intervals from resampling days"
    )
    features = candidate.params["features"]
    importance = permutation_importance_table(
        pipeline, prepare_features(frame, features), y_true, IMPORTANCE_SCORING[spec.task]
    )
    errors = per_row_error(spec.task, y_true, scores["candidate_prediction"])
    slices = worst_slices(frame, errors, SLICE_COLUMNS)
    if spec.task == "binary_classification":
        plot = roc_curve_markdown(y_true, scores["candidate_prediction"], "Candidate ROC")
    else:
        plot = residuals_markdown(y_true, scores["candidate_prediction"], "Candidate residuals")
    decision = ("PROMOTE: " if gate.passed else "KEEP CHAMPION: ") + gate.reason
    cards = [
        model_card_markdown(
            spec.name,
            candidate.version,
            champion.version if champion else None,
            heading,
            table,
            decision,
            importance,
            slices,
            shown_plots,
            about=_about(spec, candidate),
        )
        for shown_plots in ([plot], [])
    ]
    return table, *cards, importance


def _about(spec: ModelSpec, candidate) -> list[str]:
    """What the version is for, what it was trained on and where it should not be trusted."""
    from platform_assets.lib.ml.model_card import feature_groups

    groups = feature_groups(candidate.params["features"])
    views = [name for name in groups if name.endswith(":*")]
    own = [name for name in groups if not name.endswith(":*")]
    lead = candidate.params.get("prediction_lead_minutes")
    return [
        f"- **Intended use:** {spec.description} For a flight departing EWR, JFK or LGA, "
        f"predicted {lead} minutes before its scheduled departure (target `{spec.target}`).",
        f"- **Trained on:** {candidate.row_count} labelled flights of "
        f"{candidate.training_start} .. {candidate.training_end}, the days from "
        f"{candidate.params['validation_start']} held out.",
        f"- **Features**, each as known at the prediction time: own columns "
        f"{', '.join(own) or 'none'}; feature views {', '.join(views) or 'none'}.",
        f"- **Monitoring:** its daily dashboard in the Evidently UI, {dashboard_url(spec.name)} "
        "(`make dev` serves it).",
        "- **Known limits:** one year of New York departures (2013) is all the data there is: "
        "other airports, and a season the window did not cover, are outside what it has seen. "
        "A plane, route or flight number never seen gets no value for its features, as in "
        "training; its daily metric moves with each day's weather.",
    ]


def evaluate_candidate(
    connection: duckdb.DuckDBPyConnection, artifacts: Path, spec: ModelSpec, candidate
) -> CandidateEvaluation:
    """Score a candidate version and the champion on the candidate's held-out days, apply the
    promotion gate, build the model card and record the evaluation."""
    import numpy as np

    from platform_assets.lib.ml import registry
    from platform_assets.lib.ml.evaluation import predict, promotion_gate, score
    from platform_assets.lib.ml.training import prepare_features, target_values

    champion = registry.champion(connection, spec.name)
    start = date.fromisoformat(candidate.params["validation_start"])
    scores, frame = {}, None
    for role, version in (("candidate", candidate), ("champion", champion)):
        if version is None:
            continue
        # each version scored on the same flights, with its own features and prediction lead
        rows = version_feature_rows(connection, version, start, candidate.training_end, spec.target)
        rows = rows[rows[spec.target].notna()].reset_index(drop=True)
        if frame is None:
            frame, y_true = rows, target_values(spec, rows)
        pipeline = registry.load_model(connection, artifacts, spec.name, version.version)
        prediction = predict(
            spec.task, pipeline, prepare_features(rows, version.params["features"])
        )
        scores[f"{role}_prediction"] = np.asarray(prediction)
        scores[role] = score(spec.task, y_true, prediction)
        if role == "candidate":
            candidate_pipeline = pipeline
    comparisons = compare_on_days(spec, frame["flight_date"].dt.date, y_true, scores)
    gate = promotion_gate(spec.promotion, comparisons[spec.promotion.metric])
    table, card, kept_card, importance = model_card(
        spec, candidate, champion, frame, y_true, scores, comparisons, gate, candidate_pipeline
    )
    # kept with the version, text only (the plot is in the asset's metadata), its hash recorded
    card_bytes = kept_card.encode("utf-8")
    write_atomically(model_card_path(artifacts, spec.name, candidate.version), card_bytes)
    record_evaluation(
        connection,
        Evaluation(
            model_name=spec.name,
            candidate_version=candidate.version,
            champion_version=champion.version if champion else None,
            window_start=start,
            window_end=candidate.training_end,
            rows=len(frame),
            candidate_metrics=scores["candidate"],
            champion_metrics=scores.get("champion"),
            gate_passed=gate.passed,
            reason=gate.reason,
            card_sha256=hashlib.sha256(card_bytes).hexdigest(),
            held_out={
                "daily": {
                    metric: {
                        "mean": c.candidate,
                        "low": c.candidate_low,  # the interval of the mean
                        "high": c.candidate_high,
                        "day_low": c.day_low,  # the middle share of single days
                        "day_high": c.day_high,
                        "days": c.days,
                    }
                    for metric, c in comparisons.items()
                },
                "importance": [
                    [row.feature, float(row.importance_mean)] for row in importance.itertuples()
                ],
            },
        ),
    )
    return CandidateEvaluation(candidate, champion, start, len(frame), table, card, gate)
