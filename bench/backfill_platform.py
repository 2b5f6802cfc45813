"""B1, platform side: a full-year backfill of ingest and dbt as one Dagster run.

Usage: backfill_platform.py START END [--daily | --without-features]

Without --daily, the first load: one run of every ingest and dbt asset, the reference tables
and the dbt views included, as the landing sensor's first run on an empty warehouse. With
--daily, the backfill of the daily assets (raw/flights, raw/weather, marts/flight_features)
on a warehouse whose reference tables and views exist: what a user's backfill of a range
runs. With --without-features, the first load without the feature store (the dbt feature views,
their Parquet files and Feast's online store): what it adds to the first load is the difference.
(Dagster records planned materializations of every partition of the range for each
unpartitioned asset in a partitioned run too, so the first load also pays for those.)
"""

import sys

import dagster as dg
from platform_instance import platform_instance

from platform_assets.defs.assets_by_stage import build_platform_assets
from platform_assets.defs.features.feature_store_assets import FEATURES_GROUP
from platform_assets.defs.resources import PlatformData
from platform_assets.defs.transform.dbt_models import dbt_resource
from platform_assets.lib.paths import DataPaths
from platform_assets.lib.settings import PlatformSettings

if __name__ == "__main__":
    settings = PlatformSettings.from_env()
    paths = DataPaths(settings.data_dir)
    platform = build_platform_assets(settings)
    start, end, *options = sys.argv[1:]
    assets = platform.daily if options == ["--daily"] else platform.ingest_and_dbt
    selection = dg.AssetSelection.all()
    if options == ["--without-features"]:
        selection -= dg.AssetSelection.groups(FEATURES_GROUP)
    with platform_instance() as instance:
        result = dg.materialize(
            assets,
            selection=selection,
            instance=instance,
            resources={
                "platform_data": PlatformData(data_dir=str(paths.root)),
                "dbt": dbt_resource,
            },
            tags={
                "dagster/asset_partition_range_start": start,
                "dagster/asset_partition_range_end": end,
            },
        )
    sys.exit(0 if result.success else 1)
