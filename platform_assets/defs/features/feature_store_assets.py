"""The feature store's daily assets: the feature views as Parquet files, then Feast.

The feature views themselves are dbt models (group `features`, built with the feature
table). These two assets take each day from there: `features/feature_files` writes the day's
rows of every view (Feast's sources), of the feature table and of the live events as Parquet
under the data root, `features/online_store` applies the Feast repository generated from the
dbt declaration and the models' features, materializes the days into its SQLite online store,
and writes the live events (departures, the timetable, weather) as the last day ends
(lib/features/live_events.py). Retrieval for training and scoring reads the warehouse's views
directly (lib/features/retrieval.py), not these files.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg

from platform_assets.defs.automation.conditions import follows_new_days
from platform_assets.defs.ml.ml_context import feature_catalog, feature_roles, feature_view_keys
from platform_assets.defs.partitions import partition_days
from platform_assets.defs.resources import WAREHOUSE_WRITER_POOL, PlatformData
from platform_assets.defs.transform.dbt_models import FEATURE_TABLE_KEY
from platform_assets.lib.features.feature_files import write_feature_files
from platform_assets.lib.ml.features import resolve_features
from platform_assets.lib.ml.spec import ModelSpec
from platform_assets.lib.warehouse import connect

FEATURES_GROUP = "features"
FEATURE_FILES_KEY = dg.AssetKey(["features", "feature_files"])
ONLINE_STORE_KEY = dg.AssetKey(["features", "online_store"])
FEATURE_STORE_CODE_VERSION = "1"
# 2: the feature table's files too; the UI marks days written before as changed code:
# backfill them to give readers the whole table
FEATURE_FILES_CODE_VERSION = "2"


def build_feature_files_asset(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=FEATURE_FILES_KEY,
        deps=[FEATURE_TABLE_KEY, *feature_view_keys()],
        group_name=FEATURES_GROUP,
        kinds={"duckdb", "parquet"},
        owners=["team:ml-platform"],
        description="Each day's rows of every feature view and of the feature table as "
        "Parquet under the data root (features/<view>/<day>.parquet, reference views in "
        "reference.parquet, features/flight_features/<day>.parquet): the sources of the Feast "
        "feature views, and what to read while the platform runs (it never locks the warehouse).",
        code_version=FEATURE_FILES_CODE_VERSION,
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_WRITER_POOL,
        automation_condition=follows_new_days(),
    )
    def feature_files(
        context: dg.AssetExecutionContext, platform_data: PlatformData
    ) -> dg.MaterializeResult:
        days = partition_days(context)
        paths = platform_data.paths
        with connect(paths.warehouse, read_only=True) as connection:
            written = write_feature_files(
                connection, feature_catalog(), paths.feature_files, days[0], days[-1]
            )
        return dg.MaterializeResult(
            metadata={
                "folder": dg.MetadataValue.path(str(paths.feature_files)),
                "files_written": dg.MetadataValue.json(written),
            }
        )

    return feature_files


def build_online_store_asset(
    partitions: dg.PartitionsDefinition, specs: dict[str, ModelSpec]
) -> dg.AssetsDefinition:
    @dg.asset(
        key=ONLINE_STORE_KEY,
        deps=[FEATURE_FILES_KEY],
        group_name=FEATURES_GROUP,
        kinds={"feast", "sqlite"},
        owners=["team:ml-platform"],
        description="The data root's Feast repository, generated from the feature views "
        "declared in dbt (entities, views, TTLs, one feature service per model), applied, and "
        "the days materialized into its SQLite online store (`make features-ui` shows it).",
        code_version=FEATURE_STORE_CODE_VERSION,
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        automation_condition=follows_new_days(),
    )
    def online_store(
        context: dg.AssetExecutionContext, platform_data: PlatformData
    ) -> dg.MaterializeResult:
        from platform_assets.lib.features.feast_repo import (
            apply_repository,
            materialize,
            open_store,
        )
        from platform_assets.lib.features.live_events import state_at, write_rows
        from platform_assets.lib.features.live_state import local_day_start

        days = partition_days(context)
        paths = platform_data.paths
        catalog = feature_catalog()
        services = {
            name: resolve_features(spec, feature_roles(), catalog) for name, spec in specs.items()
        }
        store = open_store(paths.feast)
        objects = apply_repository(store, catalog, paths.feature_files, services)
        start = datetime.combine(days[0], datetime.min.time(), UTC) - timedelta(days=1)
        end = datetime.combine(days[-1], datetime.min.time(), UTC) + timedelta(days=2)
        materialize(store, catalog, start, end)
        # the live events as the last day ends: what the service evaluates the live views
        # from until pushes bring the next day's
        live_as_of = local_day_start(days[-1] + timedelta(days=1))
        write_rows(store, state_at(paths.feature_files, live_as_of))
        return dg.MaterializeResult(
            metadata={
                "repository": dg.MetadataValue.path(str(paths.feast / "feature_store.yaml")),
                "registered_objects": len(objects),
                "feature_services": dg.MetadataValue.json(sorted(services)),
                "materialized": f"{start.isoformat()} .. {end.isoformat()}",
                "live_events_as_of": live_as_of.isoformat(),
            }
        )

    return online_store
