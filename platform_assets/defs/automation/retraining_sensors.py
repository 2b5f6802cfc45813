"""One retraining sensor per model: reads monitoring, decides with the model's policy, asks.

The sensor never opens the warehouse (DuckDB refuses a writing run while any other process
holds the file): it reads the champion's manifest and the files monitoring and dbt publish
for it, the run list and the model's retrain claim (a retrain from any launcher is in
flight while it holds it), and appends its decision, triggered or not, to its model's
decision file (lib/monitoring/sensor_files.py), which the next monitoring run loads into
`monitoring.retraining_decisions`. Its cursor remembers the
state it last decided on and the policy it decided with, so a tick with nothing new decides
nothing, and the first tick after a reload with a changed policy decides again. The policy
comes from `models.yaml` when the code location loads: reload it after changing a threshold.
"""

import json

import dagster as dg

from platform_assets.defs.ml.model_keys import (
    CANDIDATE,
    CHAMPION,
    EVALUATION,
    TRAINING_SET,
    model_asset_key,
)
from platform_assets.defs.ml.retrain_run import UNFINISHED_STATUSES, retrain_claimed
from platform_assets.lib.ml.spec import ModelSpec
from platform_assets.lib.monitoring.model_state import gather_model_state
from platform_assets.lib.monitoring.retraining_policy import decide, policy_fingerprint
from platform_assets.lib.monitoring.sensor_files import append_decision
from platform_assets.lib.paths import DataPaths

RETRAIN_MODEL_TAG = "platform/retrain_model"
RETRAIN_REASON_TAG = "platform/retrain_reason"


def retraining_keys(model_name: str) -> list[dg.AssetKey]:
    """The assets a retrain materializes: training set, candidate, evaluation, champion."""
    stages = (TRAINING_SET, CANDIDATE, EVALUATION, CHAMPION)
    return [model_asset_key(model_name, stage) for stage in stages]


def build_retraining_sensor(spec: ModelSpec) -> dg.SensorDefinition:
    keys = retraining_keys(spec.name)

    @dg.sensor(
        name=f"retrain_{spec.name}",
        target=dg.AssetSelection.assets(*keys),
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Retrains '{spec.name}' when its monitoring meets the retraining policy "
        "in models.yaml (drift, performance, new labelled rows; cooldown; one at a time).",
    )
    def retraining_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        paths = DataPaths.from_env()
        if not paths.warehouse.exists():
            return dg.SensorResult(skip_reason="no warehouse yet")
        # a sensor's own retrain, queued and not yet started, or a retrain from any launcher
        # that holds the model's claim
        in_flight = bool(
            context.instance.get_run_records(
                dg.RunsFilter(tags={RETRAIN_MODEL_TAG: spec.name}, statuses=UNFINISHED_STATUSES),
                limit=1,
            )
        ) or retrain_claimed(context.instance, paths.artifacts, spec.name)
        cursor = json.loads(context.cursor) if context.cursor else {}
        state = gather_model_state(paths, spec, in_flight)
        # the policy too: after a reload with new thresholds, the same state is new
        decided_on = (
            f"{state.champion_version}|{state.as_of}|{in_flight}|"
            f"{policy_fingerprint(spec.retraining, spec.promotion.metric)}"
        )
        if cursor.get("decided_on") == decided_on:
            return dg.SensorResult(skip_reason="nothing new since the last decision")
        decision = decide(spec.retraining, spec.promotion.higher_is_better, state)
        append_decision(paths.monitoring, spec.name, decision, spec.retraining)
        new_cursor = json.dumps({"decided_on": decided_on})
        if not decision.triggered:
            return dg.SensorResult(skip_reason=decision.reason, cursor=new_cursor)
        request = dg.RunRequest(
            run_key=f"retrain:{spec.name}:{decided_on}",
            asset_selection=keys,
            tags={
                RETRAIN_MODEL_TAG: spec.name,
                RETRAIN_REASON_TAG: decision.reason[:250],
                "platform/trigger": "retraining_sensor",
                "platform/as_of": str(state.as_of),
            },
        )
        return dg.SensorResult(run_requests=[request], cursor=new_cursor)

    return retraining_sensor
