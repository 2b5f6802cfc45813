"""A model's daily predictions: each day's flights scored by the champion of the moment."""

import dagster as dg

from platform_assets.defs.automation.conditions import follows_new_days
from platform_assets.defs.ml.ml_context import feature_view_keys
from platform_assets.defs.ml.model_keys import CHAMPION, ML_GROUP, PREDICTIONS, model_asset_key
from platform_assets.defs.partitions import day_chunks, partition_days
from platform_assets.defs.resources import WAREHOUSE_WRITER_POOL, PlatformData
from platform_assets.defs.transform.dbt_models import FEATURE_TABLE_KEY
from platform_assets.lib.ml.features import version_feature_rows
from platform_assets.lib.ml.spec import ModelSpec
from platform_assets.lib.warehouse import connect

PREDICTIONS_CODE_VERSION = "1"


def build_predictions_asset(
    spec: ModelSpec, partitions: dg.PartitionsDefinition
) -> dg.AssetsDefinition:
    @dg.asset(
        key=model_asset_key(spec.name, PREDICTIONS),
        deps=[model_asset_key(spec.name, CHAMPION), FEATURE_TABLE_KEY, *feature_view_keys()],
        group_name=ML_GROUP,
        kinds={"python", "duckdb"},
        description=f"{spec.description} Each day's flights scored by the current champion, "
        "in `ml.predictions` with the version that scored each row.",
        code_version=PREDICTIONS_CODE_VERSION,
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_WRITER_POOL,
        # A new day of features is scored; a new champion does not re-score history.
        automation_condition=follows_new_days(ignore=[model_asset_key(spec.name, CHAMPION)]),
    )
    def predictions(
        context: dg.AssetExecutionContext, platform_data: PlatformData
    ) -> dg.MaterializeResult:
        import pandas as pd

        from platform_assets.lib.ml import registry
        from platform_assets.lib.ml.champion_manifest import refresh_champion_manifest
        from platform_assets.lib.ml.evaluation import predict
        from platform_assets.lib.ml.predictions import replace_predictions
        from platform_assets.lib.ml.training import prepare_features

        days = partition_days(context)
        with connect(platform_data.paths.warehouse) as connection:
            serving = registry.champion(connection, spec.name)
            if serving is None:
                raise dg.Failure(
                    f"Model '{spec.name}' has no champion yet: materialize "
                    f"ml/{spec.name}/champion (train, evaluate, promote) first."
                )
            if refresh_champion_manifest(platform_data.paths.artifacts, serving):
                context.log.warning(
                    f"The champion manifest of '{spec.name}' did not name {serving.version}: "
                    "published again (a promotion was interrupted after it committed?)."
                )
            pipeline = registry.load_model(
                connection, platform_data.paths.artifacts, spec.name, serving.version
            )
            features = serving.params["features"]
            for first, last in day_chunks(days):  # a month of rows in memory at a time
                frame = version_feature_rows(connection, serving, first, last)
                scored = pd.DataFrame(
                    {
                        "flight_id": frame["flight_id"],
                        "partition_date": frame["flight_date"],
                        "score": predict(spec.task, pipeline, prepare_features(frame, features))
                        if len(frame)
                        else [],
                    }
                )
                replace_predictions(connection, spec.name, first, last, serving.version, scored)
            summary = connection.execute(
                "SELECT count(*), avg(score), min(score), max(score) FROM ml.predictions "
                "WHERE model_name = ? AND partition_date BETWEEN ? AND ?",
                [spec.name, days[0], days[-1]],
            ).fetchone()
        rows, mean_score, low, high = summary
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "model_version": serving.version,
                "mean_score": float(mean_score) if rows else None,
                "score_range": f"{low} .. {high}" if rows else "no flights",
            }
        )

    return predictions
