"""A model's evaluation against the champion (with the blocking promotion gate) and promotion.

The candidate and the champion are scored on the same held-out days: the candidate's last
training-window days, which it never saw. The gate is a blocking asset check: when it fails,
the champion asset does not run in that run and the champion stays as it was.
"""

from datetime import date

import dagster as dg

from platform_assets.defs.ml.model_keys import (
    CANDIDATE,
    CHAMPION,
    EVALUATION,
    ML_GROUP,
    PROMOTION_GATE,
    model_asset_key,
)
from platform_assets.defs.resources import WAREHOUSE_WRITER_POOL, PlatformData
from platform_assets.lib.ml.evaluation_log import Evaluation, latest_evaluation, record_evaluation
from platform_assets.lib.ml.features import read_feature_rows
from platform_assets.lib.ml.spec import ModelSpec
from platform_assets.lib.warehouse import connect

PROMOTION_CODE_VERSION = "1"
SLICE_COLUMNS = ["carrier", "origin", "sched_dep_hour"]
IMPORTANCE_SCORING = {"binary_classification": "roc_auc", "regression": "neg_mean_absolute_error"}


def _awaiting_candidate(connection, spec: ModelSpec):
    from platform_assets.lib.ml import registry

    candidates = [
        v for v in registry.list_versions(connection, spec.name) if v.alias == "candidate"
    ]
    if not candidates:
        raise dg.Failure(
            f"Model '{spec.name}' has no candidate awaiting evaluation: materialize "
            f"ml/{spec.name}/candidate first."
        )
    return max(candidates, key=lambda version: version.version_number)


def _model_card(spec, candidate, champion, frame, y_true, scores, gate, pipeline) -> tuple:
    """Metrics side by side with bootstrap intervals, and the markdown card explaining them."""
    from platform_assets.lib.ml.evaluation import metric_value, per_row_error
    from platform_assets.lib.ml.model_card import (
        bootstrap_metric_difference,
        model_card_markdown,
        permutation_importance_table,
        worst_slices,
    )
    from platform_assets.lib.ml.plots import residuals_markdown, roc_curve_markdown
    from platform_assets.lib.ml.training import prepare_features

    table = {}
    for metric, value in scores["candidate"].items():
        row = {"candidate": value, "champion": None, "difference": None}
        row |= {"ci_low": None, "ci_high": None}
        if champion is not None:
            difference, low, high = bootstrap_metric_difference(
                y_true,
                scores["candidate_prediction"],
                scores["champion_prediction"],
                lambda y, p, metric=metric: metric_value(metric, y, p),
            )
            row |= {"champion": scores["champion"][metric], "difference": difference}
            row |= {"ci_low": low, "ci_high": high}
        table[metric] = row
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
    card = model_card_markdown(
        spec.name,
        candidate.version,
        champion.version if champion else None,
        table,
        decision,
        importance,
        slices,
        [plot],
    )
    return table, card


def build_evaluation_asset(spec: ModelSpec) -> dg.AssetsDefinition:
    key = model_asset_key(spec.name, EVALUATION)

    @dg.asset(
        key=key,
        deps=[model_asset_key(spec.name, CANDIDATE)],
        group_name=ML_GROUP,
        kinds={"python", "scikitlearn"},
        description=f"{spec.description} The candidate against the champion on the same "
        f"held-out days; the `{PROMOTION_GATE}` check ({spec.promotion.metric}, at least "
        f"{spec.promotion.min_improvement:g} better, floor {spec.promotion.floor:g}) blocks "
        "promotion when it fails.",
        code_version=PROMOTION_CODE_VERSION,
        pool=WAREHOUSE_WRITER_POOL,
        check_specs=[dg.AssetCheckSpec(PROMOTION_GATE, asset=key, blocking=True)],
    )
    def evaluation(
        context: dg.AssetExecutionContext, platform_data: PlatformData
    ) -> dg.MaterializeResult:
        import numpy as np

        from platform_assets.lib.ml import registry
        from platform_assets.lib.ml.evaluation import gate_for, predict, score
        from platform_assets.lib.ml.training import prepare_features, target_values

        artifacts = platform_data.paths.artifacts
        with connect(platform_data.paths.warehouse) as connection:
            candidate = _awaiting_candidate(connection, spec)
            champion = registry.champion(connection, spec.name)
            versions = [candidate] + ([champion] if champion else [])
            columns = sorted({name for v in versions for name in v.params["features"]})
            start = date.fromisoformat(candidate.params["validation_start"])
            frame = read_feature_rows(
                connection, columns, start, candidate.training_end, spec.target
            )
            y_true = target_values(spec, frame)
            scores = {}
            for role, version in (("candidate", candidate), ("champion", champion)):
                if version is None:
                    continue
                pipeline = registry.load_model(connection, artifacts, spec.name, version.version)
                prediction = predict(
                    spec.task, pipeline, prepare_features(frame, version.params["features"])
                )
                scores[f"{role}_prediction"] = np.asarray(prediction)
                scores[role] = score(spec.task, y_true, prediction)
                if role == "candidate":
                    candidate_pipeline = pipeline
            gate = gate_for(spec, scores["candidate"], scores.get("champion"))
            table, card = _model_card(
                spec, candidate, champion, frame, y_true, scores, gate, candidate_pipeline
            )
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
                ),
            )
        return dg.MaterializeResult(
            metadata={
                "candidate_version": candidate.version,
                "champion_version": champion.version if champion else "none",
                "held_out_days": f"{start} .. {candidate.training_end}",
                "held_out_rows": len(frame),
                "metrics": dg.MetadataValue.json(table),
                "decision": gate.reason,
                "model_card": dg.MetadataValue.md(card),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name=PROMOTION_GATE,
                    passed=gate.passed,
                    metadata={"reason": gate.reason, "candidate_version": candidate.version},
                )
            ],
        )

    return evaluation


def build_champion_asset(spec: ModelSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=model_asset_key(spec.name, CHAMPION),
        deps=[model_asset_key(spec.name, EVALUATION)],
        group_name=ML_GROUP,
        kinds={"python"},
        description=f"{spec.description} The version that serves predictions: the candidate "
        "becomes champion only if its latest evaluation passed the promotion gate.",
        code_version=PROMOTION_CODE_VERSION,
        pool=WAREHOUSE_WRITER_POOL,
    )
    def champion(
        context: dg.AssetExecutionContext, platform_data: PlatformData
    ) -> dg.MaterializeResult:
        from platform_assets.lib.ml import champion_alias, registry

        with connect(platform_data.paths.warehouse) as connection:
            candidate = _awaiting_candidate(connection, spec)
            verdict = latest_evaluation(connection, spec.name, candidate.version)
            if verdict is None:
                raise dg.Failure(
                    f"Candidate {candidate.version} of '{spec.name}' was never evaluated: "
                    f"materialize ml/{spec.name}/evaluation first."
                )
            if not verdict.gate_passed:
                raise dg.Failure(
                    f"Candidate {candidate.version} of '{spec.name}' did not pass the "
                    f"promotion gate; the champion is unchanged. {verdict.reason}"
                )
            previous = registry.champion(connection, spec.name)
            promoted = champion_alias.promote(
                connection,
                platform_data.paths.artifacts,
                spec.name,
                candidate.version,
                reason=verdict.reason,
                actor=f"dagster:{context.run_id}",
            )
        return dg.MaterializeResult(
            metadata={
                "champion_version": promoted.version,
                "previous_champion": previous.version if previous else "none",
                "reason": verdict.reason,
                **{f"held_out_{k}": v for k, v in verdict.candidate_metrics.items()},
            }
        )

    return champion
