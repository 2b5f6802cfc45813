"""The one place that assembles the platform's Dagster definitions.

The assets are listed here rather than found with `load_from_defs_folder`: most of them are
built by factories from the settings (the partition range) and the models file (one family
of assets and one retraining sensor per declared model), which a folder scan cannot call.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from platform_assets.defs.automation.conditions import automation_sensor
from platform_assets.defs.automation.failure_alerts import run_failure_alerts
from platform_assets.defs.automation.landing_sensor import landing_sensor
from platform_assets.defs.automation.schedules import (
    build_weekly_retrain,
    demo_clock,
    demo_clock_job,
)
from platform_assets.defs.ingest.raw_assets import build_raw_assets
from platform_assets.defs.ml.model_family import (
    build_all_model_families,
    build_all_retraining_sensors,
)
from platform_assets.defs.partitions import build_daily_partitions
from platform_assets.defs.resources import PlatformData
from platform_assets.defs.transform.dbt_models import (
    build_dbt_daily_tables,
    dbt_resource,
    dbt_views,
)
from platform_assets.lib.ml.spec import load_model_specs
from platform_assets.lib.settings import PlatformSettings


@dataclass(frozen=True)
class PlatformAssets:
    """The platform's assets by stage: the definitions serve them all, and runs of a part
    (a backfill of the daily assets, the benchmarks, the tests) pick theirs here."""

    raw: list[dg.AssetsDefinition]
    dbt_views: dg.AssetsDefinition
    dbt_daily_tables: dg.AssetsDefinition
    models: list[dg.AssetsDefinition]

    @property
    def ingest_and_dbt(self) -> list[dg.AssetsDefinition]:
        """What the landing sensor's first run builds: raw tables, dbt views and tables."""
        return [*self.raw, self.dbt_views, self.dbt_daily_tables]

    @property
    def daily_raw(self) -> list[dg.AssetsDefinition]:
        """The raw tables loaded day by day (the reference tables are not partitioned)."""
        return [asset for asset in self.raw if asset.partitions_def is not None]

    @property
    def daily(self) -> list[dg.AssetsDefinition]:
        """What a backfill of a range of days loads: the daily raw tables and dbt tables."""
        return [*self.daily_raw, self.dbt_daily_tables]


def build_platform_assets(settings: PlatformSettings) -> PlatformAssets:
    """Every asset, on the settings' partitions, with one family per declared model."""
    partitions = build_daily_partitions(settings)
    return PlatformAssets(
        raw=build_raw_assets(partitions),
        dbt_views=dbt_views,
        dbt_daily_tables=build_dbt_daily_tables(partitions),
        models=build_all_model_families(load_model_specs(settings.models_file), partitions),
    )


def build_definitions(settings: PlatformSettings | None = None) -> dg.Definitions:
    """Everything the code location serves, with the settings and models file as they are now
    (a reload of the code location reads them again)."""
    settings = settings or PlatformSettings.from_env()
    assets = build_platform_assets(settings)
    specs = load_model_specs(settings.models_file)
    return dg.Definitions(
        assets=[*assets.ingest_and_dbt, *assets.models],
        jobs=[demo_clock_job],
        schedules=[demo_clock, build_weekly_retrain(list(specs))],
        sensors=[
            landing_sensor,
            automation_sensor,
            *build_all_retraining_sensors(specs),
            run_failure_alerts,
        ],
        resources={"platform_data": PlatformData(), "dbt": dbt_resource},
    )


defs = build_definitions()
