"""A model's served predictions: the service's logs loaded by day, checked against the batch."""

import dagster as dg

from platform_assets.defs.automation.conditions import follows_new_days
from platform_assets.defs.ml.model_keys import (
    ML_GROUP,
    PREDICTIONS,
    SERVED_PREDICTIONS,
    SERVING_SKEW,
    model_asset_key,
)
from platform_assets.defs.partitions import partition_days
from platform_assets.defs.resources import WAREHOUSE_WRITER_POOL, PlatformData
from platform_assets.lib.ml.spec import ModelSpec
from platform_assets.lib.warehouse import connect

SERVED_PREDICTIONS_CODE_VERSION = "1"


def build_served_predictions_asset(
    spec: ModelSpec, partitions: dg.PartitionsDefinition
) -> dg.AssetsDefinition:
    key = model_asset_key(spec.name, SERVED_PREDICTIONS)

    @dg.asset(
        key=key,
        deps=[model_asset_key(spec.name, PREDICTIONS)],
        group_name=ML_GROUP,
        kinds={"python", "duckdb"},
        description=f"What the prediction service served for {spec.name}: its log files "
        "(PLATFORM_DATA_DIR/served_predictions) loaded into `ml.served_predictions` by flight "
        "day, and checked against the batch scores of the same flights and version.",
        code_version=SERVED_PREDICTIONS_CODE_VERSION,
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_WRITER_POOL,
        automation_condition=follows_new_days(),
        check_specs=[
            dg.AssetCheckSpec(
                SERVING_SKEW,
                asset=key,
                description="Served scores made at the batch prediction time are within "
                f"serving_skew_threshold ({spec.serving_skew_threshold}) of the batch's.",
            )
        ],
    )
    def served_predictions(context: dg.AssetExecutionContext, platform_data: PlatformData):
        from platform_assets.lib.ml.served_predictions import (
            load_served_predictions,
            serving_skew,
        )

        days = partition_days(context)
        with connect(platform_data.paths.warehouse) as connection:
            loaded = load_served_predictions(
                connection, platform_data.paths.served_predictions, spec.name, days[0], days[-1]
            )
            skew = serving_skew(connection, spec.name, days[0], days[-1])
        compared = [day for day in skew if day.compared]
        worst = max((day.max_difference for day in compared), default=None)
        by_day = {
            str(day.flight_date): {
                "served": day.served,
                "compared": day.compared,
                "max_difference": day.max_difference,
                "mean_difference": day.mean_difference,
            }
            for day in skew
        }
        yield dg.MaterializeResult(metadata={"dagster/row_count": loaded})
        yield dg.AssetCheckResult(
            check_name=SERVING_SKEW,
            passed=worst is None or worst <= spec.serving_skew_threshold,
            metadata={
                "compared": sum(day.compared for day in compared),
                "max_difference": worst,
                "threshold": spec.serving_skew_threshold,
                "by_day": dg.MetadataValue.json(by_day),
            },
            description=None if compared else "No served prediction at a batch prediction time.",
        )

    return served_predictions
