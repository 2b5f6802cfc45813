"""B1, platform side: the full-year backfill of ingest and dbt as one Dagster run."""

import sys

import dagster as dg
from platform_instance import platform_instance

from platform_assets.defs.ingest.raw_assets import raw_assets
from platform_assets.defs.resources import PlatformData
from platform_assets.defs.transform.dbt_models import dbt_model_assets, dbt_resource
from platform_assets.lib.paths import DataPaths

if __name__ == "__main__":
    paths = DataPaths.from_env()
    start, end = sys.argv[1], sys.argv[2]
    with platform_instance() as instance:
        result = dg.materialize(
            [*raw_assets, *dbt_model_assets],
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
