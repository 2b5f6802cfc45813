"""A retrain's steps bound to their own run: the model's claim, the run's training set and the
version the run's candidate step registered.

Two retrains of one model (a sensor's and one launched from the UI, say) must never mix: a
candidate fitted on another run's rows, or an evaluation and promotion of another run's
candidate. So each run writes its training set to a folder named by its run id, and the
registry records the run that registered each version (the actor of its `register` event).
A run that materializes only a later step (an evaluation launched alone from the UI) takes
the training set of the training set's latest materialization and the newest candidate.
"""

from pathlib import Path

import dagster as dg

from platform_assets.defs.ml.model_keys import TRAINING_SET, model_asset_key
from platform_assets.defs.resources import PlatformData
from platform_assets.lib.ml.registry_tables import ModelVersion
from platform_assets.lib.ml.retrain_claim import RetrainClaimedError, claim_holder, claim_retrain
from platform_assets.lib.ml.spec import ModelSpec

UNFINISHED_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
TRAINING_SETS = "training_sets"


def run_actor(run_id: str) -> str:
    """How the registry names a run as the actor of what it did."""
    return f"dagster:{run_id}"


def run_is_unfinished(instance: dg.DagsterInstance, run_id: str) -> bool:
    run = instance.get_run_by_id(run_id)
    return run is not None and run.status in UNFINISHED_STATUSES


def hold_retrain_claim(context: dg.AssetExecutionContext, platform_data: PlatformData, model: str):
    """Take the model's claim for this run, or fail the step before it changes anything."""
    try:
        claim_retrain(
            platform_data.paths.artifacts / model,
            model,
            context.run.run_id,
            lambda run_id: run_is_unfinished(context.instance, run_id),
        )
    except RetrainClaimedError as error:
        raise dg.Failure(str(error)) from error


def retrain_claimed(instance: dg.DagsterInstance, artifacts: Path, model: str) -> bool:
    """Whether an unfinished run holds the model's claim (the sensor's in-flight test)."""
    holder = claim_holder(artifacts / model)
    return holder is not None and run_is_unfinished(instance, holder)


def training_set_folder(platform_data: PlatformData, model: str, run_id: str) -> Path:
    """Where the training set of one run is kept: `artifacts/<model>/training_sets/<run id>`."""
    return platform_data.paths.artifacts / model / TRAINING_SETS / run_id


def bound_training_set_folder(
    context: dg.AssetExecutionContext, platform_data: PlatformData, model: str
) -> Path:
    """This run's training set, or (a candidate launched alone) the latest materialized one."""
    key = model_asset_key(model, TRAINING_SET)
    if key not in context.selected_asset_keys:
        latest = context.instance.get_latest_materialization_event(key)
        if latest is not None:
            return training_set_folder(platform_data, model, latest.run_id)
    return training_set_folder(platform_data, model, context.run.run_id)


def bound_candidate(context: dg.AssetExecutionContext, connection, spec: ModelSpec) -> ModelVersion:
    """The version this run registered, or (a step launched alone) the newest candidate; a
    version that is no longer a candidate is refused with what it became."""
    from platform_assets.lib.ml import registry
    from platform_assets.lib.ml.candidate_evaluation import NoCandidateError, awaiting_candidate

    version = registry.registered_by(connection, spec.name, run_actor(context.run.run_id))
    try:
        version = version or awaiting_candidate(connection, spec)
    except NoCandidateError as error:
        raise dg.Failure(str(error)) from error
    if version.alias != "candidate":
        raise dg.Failure(
            f"Version {version.version} of '{spec.name}' is no longer a candidate (it is "
            f"{version.alias}): retrain the model to judge a new one."
        )
    return version
