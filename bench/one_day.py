"""B2: one new day end to end: ingest, then dbt, predictions and monitoring of both models.

Two runs in one process, as on the platform: the landing sensor's ingest run, then the run
the automation starts for what follows (the dbt views between them are virtual).

Usage: one_day.py YYYY-MM-DD, on a data root whose models are trained (bench/models_year.py).
"""

import sys

import dagster as dg
from platform_instance import platform_instance

from platform_assets.defs.ingest.raw_assets import daily_raw_assets
from platform_assets.defs.ml.model_family import build_all_model_families
from platform_assets.defs.resources import PlatformData
from platform_assets.defs.transform.dbt_models import dbt_daily_tables, dbt_resource
from platform_assets.lib.paths import DataPaths

if __name__ == "__main__":
    paths = DataPaths.from_env()
    model_steps = [
        asset
        for asset in build_all_model_families()
        if asset.key.path[0] == "monitoring" or asset.key.path[-1] == "predictions"
    ]
    resources = {"platform_data": PlatformData(data_dir=str(paths.root)), "dbt": dbt_resource}
    with platform_instance() as instance:
        for assets in (daily_raw_assets, [dbt_daily_tables, *model_steps]):
            result = dg.materialize(
                assets, instance=instance, resources=resources, partition_key=sys.argv[1]
            )
            if not result.success:
                sys.exit(1)
