"""One family of assets per model declared in `models.yaml`, all built by the same factory.

Adding a model is adding an entry to the models file: nothing here changes. The family
includes its daily monitoring and its retraining sensor.
"""

import dagster as dg

from platform_assets.defs.automation.retraining_sensors import build_retraining_sensor
from platform_assets.defs.ml.ml_context import feature_catalog, feature_roles
from platform_assets.defs.ml.prediction_assets import build_predictions_asset
from platform_assets.defs.ml.promotion_assets import build_champion_asset, build_evaluation_asset
from platform_assets.defs.ml.served_prediction_assets import build_served_predictions_asset
from platform_assets.defs.ml.training_assets import build_candidate_asset, build_training_set_asset
from platform_assets.defs.monitoring.monitoring_assets import build_monitoring_asset
from platform_assets.lib.ml.features import resolve_features
from platform_assets.lib.ml.spec import ModelSpec


def build_model_family(
    spec: ModelSpec, partitions: dg.PartitionsDefinition
) -> list[dg.AssetsDefinition]:
    """Training set, candidate, evaluation (with its gate), champion, predictions, monitoring,
    served predictions (with their skew check).

    The model's features are checked against the dbt manifest first, so that an unknown column
    or feature reference fails the code location's load with a message naming it.
    """
    resolve_features(spec, feature_roles(), feature_catalog())
    return [
        build_training_set_asset(spec),
        build_candidate_asset(spec),
        build_evaluation_asset(spec),
        build_champion_asset(spec),
        build_predictions_asset(spec, partitions),
        build_monitoring_asset(spec, partitions),
        build_served_predictions_asset(spec, partitions),
    ]


def build_all_model_families(
    specs: dict[str, ModelSpec], partitions: dg.PartitionsDefinition
) -> list[dg.AssetsDefinition]:
    """The families of every declared model."""
    return [asset for spec in specs.values() for asset in build_model_family(spec, partitions)]


def build_all_retraining_sensors(specs: dict[str, ModelSpec]) -> list[dg.SensorDefinition]:
    """One retraining sensor per declared model."""
    return [build_retraining_sensor(spec) for spec in specs.values()]
