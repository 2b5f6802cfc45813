"""Gathering what the retraining decision needs about one model, from files, never the warehouse.

The champion comes from its manifest, the monitored days, labelled days and past decisions
from the files of lib/monitoring/sensor_files.py: a sensor reads them while runs write the
warehouse.
"""

from __future__ import annotations

from datetime import date

from platform_assets.lib.ml.champion_manifest import read_champion_manifest
from platform_assets.lib.ml.spec import ModelSpec
from platform_assets.lib.monitoring.monitoring_store import DRIFT_SHARE
from platform_assets.lib.monitoring.retraining_policy import ModelState
from platform_assets.lib.monitoring.sensor_files import (
    last_triggered_as_of,
    read_daily_metric,
    read_labelled_days,
)
from platform_assets.lib.paths import DataPaths


def gather_model_state(paths: DataPaths, spec: ModelSpec, retrain_in_flight: bool) -> ModelState:
    """The served champion, its monitoring since it was trained, and new labelled rows."""
    serving = read_champion_manifest(paths.artifacts, spec.name)
    labelled = read_labelled_days(paths.monitoring, spec.target)
    if serving is None:
        # A first model needs spec.first_model_days of labelled days (a full window unless
        # models.yaml says fewer).
        enough = len(labelled) >= spec.first_model_days
        return ModelState(
            as_of=max(labelled) if enough else None,
            champion_version=None,
            champion_validation_score=None,
            retrain_in_flight=retrain_in_flight,
        )
    version = serving["version"]
    drift = read_daily_metric(paths.monitoring, spec.name, DRIFT_SHARE, version)
    performance = read_daily_metric(paths.monitoring, spec.name, spec.promotion.metric, version)
    monitored = set(drift) | set(performance)
    training_end = date.fromisoformat(serving["training_end"])
    return ModelState(
        as_of=max(monitored) if monitored else None,
        champion_version=version,
        # like for like: the mean daily metric on its held-out days, against recent days'
        # mean (versions registered before it was recorded have none: no drop is measured)
        champion_validation_score=serving["metrics"].get(spec.promotion.mean_daily_key),
        drift_shares=drift,
        daily_performance=performance,
        labelled_rows_since_training=sum(n for day, n in labelled.items() if day > training_end),
        last_retrain_as_of=last_triggered_as_of(paths.monitoring, spec.name),
        retrain_in_flight=retrain_in_flight,
    )
