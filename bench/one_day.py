"""B2: one new day end to end: ingest, then dbt, predictions and monitoring of both models.

Two runs in one process, as on the platform: the landing sensor's ingest run, then the run
the automation starts for what follows (the dbt views between them are virtual).

Usage: one_day.py YYYY-MM-DD, on a data root whose models are trained (bench/models_year.py).
"""

import sys

import dagster as dg
from platform_instance import platform_instance

from platform_assets.defs.assets_by_stage import build_platform_assets
from platform_assets.defs.resources import PlatformData
from platform_assets.defs.transform.dbt_models import dbt_resource
from platform_assets.lib.paths import DataPaths
from platform_assets.lib.settings import PlatformSettings

if __name__ == "__main__":
    settings = PlatformSettings.from_env()
    paths = DataPaths(settings.data_dir)
    platform = build_platform_assets(settings)
    model_steps = [
        asset
        for asset in platform.models
        if asset.key.path[0] == "monitoring" or asset.key.path[-1] == "predictions"
    ]
    resources = {"platform_data": PlatformData(data_dir=str(paths.root)), "dbt": dbt_resource}
    with platform_instance() as instance:
        for assets in (platform.daily_raw, [platform.dbt_daily_tables, *model_steps]):
            result = dg.materialize(
                assets, instance=instance, resources=resources, partition_key=sys.argv[1]
            )
            if not result.success:
                sys.exit(1)
