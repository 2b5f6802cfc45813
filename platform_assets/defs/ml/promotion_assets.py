"""A model's evaluation against the champion (with the blocking promotion gate) and promotion.

The scoring and the model card are `lib/ml/candidate_evaluation.py`. The gate is a blocking
asset check: when it fails, the champion asset does not run in that run and the champion
stays as it was.
"""

import dagster as dg

from platform_assets.defs.ml.model_keys import (
    CANDIDATE,
    CHAMPION,
    EVALUATION,
    ML_GROUP,
    PROMOTION_GATE,
    model_asset_key,
)
from platform_assets.defs.ml.retrain_run import bound_candidate, hold_retrain_claim, run_actor
from platform_assets.defs.resources import WAREHOUSE_WRITER_POOL, PlatformData
from platform_assets.lib.ml.evaluation_log import latest_evaluation
from platform_assets.lib.ml.spec import ModelSpec
from platform_assets.lib.warehouse import connect

PROMOTION_CODE_VERSION = "1"


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
        from platform_assets.lib.ml.candidate_evaluation import evaluate_candidate

        hold_retrain_claim(context, platform_data, spec.name)
        paths = platform_data.paths
        with connect(paths.warehouse) as connection:
            version = bound_candidate(context, connection, spec)
            result = evaluate_candidate(connection, paths.artifacts, spec, version)
        candidate, champion, gate = result.candidate, result.champion, result.gate
        return dg.MaterializeResult(
            metadata={
                "candidate_version": candidate.version,
                "champion_version": champion.version if champion else "none",
                "held_out_days": f"{result.held_out_start} .. {candidate.training_end}",
                "held_out_rows": result.rows,
                "metrics": dg.MetadataValue.json(result.table),
                "decision": gate.reason,
                "model_card": dg.MetadataValue.md(result.card),
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

        hold_retrain_claim(context, platform_data, spec.name)
        with connect(platform_data.paths.warehouse) as connection:
            candidate = bound_candidate(context, connection, spec)
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
                actor=run_actor(context.run.run_id),
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
