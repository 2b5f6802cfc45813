"""The one place that assembles the platform's Dagster definitions."""

import dagster as dg

from platform_assets.defs.ingest.raw_assets import raw_assets
from platform_assets.defs.ml.model_family import build_all_model_families
from platform_assets.defs.resources import PlatformData
from platform_assets.defs.transform.dbt_models import dbt_model_assets, dbt_resource

defs = dg.Definitions(
    assets=[*raw_assets, *dbt_model_assets, *build_all_model_families()],
    resources={"platform_data": PlatformData(), "dbt": dbt_resource},
)
