"""B1, platform side: a full-year backfill of ingest and dbt as one Dagster run.

Usage: backfill_platform.py START END [--daily]

Without --daily, the first load of an empty warehouse, as the landing sensor asks for it:
a run of the reference tables and the dbt views (no partitions), then one run of the daily
assets over the range. With --daily, only that second run, on a warehouse whose reference
tables and views exist: what a user's backfill of a range runs.
"""

import sys

import dagster as dg
from platform_instance import platform_instance

from platform_assets.definitions import build_platform_assets
from platform_assets.defs.resources import PlatformData
from platform_assets.defs.transform.dbt_models import dbt_resource
from platform_assets.lib.paths import DataPaths
from platform_assets.lib.settings import PlatformSettings

if __name__ == "__main__":
    settings = PlatformSettings.from_env()
    paths = DataPaths(settings.data_dir)
    platform = build_platform_assets(settings)
    start, end, *options = sys.argv[1:]
    resources = {"platform_data": PlatformData(data_dir=str(paths.root)), "dbt": dbt_resource}
    day_range = {
        "dagster/asset_partition_range_start": start,
        "dagster/asset_partition_range_end": end,
    }
    runs = [(platform.daily, day_range)]
    if options != ["--daily"]:
        runs.insert(0, (platform.unpartitioned, {}))
    with platform_instance() as instance:
        for assets, tags in runs:
            result = dg.materialize(assets, instance=instance, resources=resources, tags=tags)
            if not result.success:
                sys.exit(1)
