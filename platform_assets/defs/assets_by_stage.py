"""The platform's assets by stage, built from the settings and the declared models.

The definitions serve them all; runs of a part (a backfill of the daily assets, the
benchmarks, the tests) pick theirs here without building the whole code location.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from platform_assets.defs.features.feature_store_assets import (
    build_feature_files_asset,
    build_online_store_asset,
)
from platform_assets.defs.ingest.raw_assets import build_raw_assets
from platform_assets.defs.ml.model_family import build_all_model_families
from platform_assets.defs.partitions import build_daily_partitions
from platform_assets.defs.transform.dbt_models import build_dbt_daily_tables, dbt_unpartitioned
from platform_assets.lib.ml.spec import ModelSpec, load_model_specs
from platform_assets.lib.settings import PlatformSettings


@dataclass(frozen=True)
class PlatformAssets:
    """Every asset of the platform, grouped by what runs them together."""

    raw: list[dg.AssetsDefinition]
    dbt_unpartitioned: dg.AssetsDefinition
    dbt_daily_tables: dg.AssetsDefinition
    feature_store: list[dg.AssetsDefinition]
    models: list[dg.AssetsDefinition]

    @property
    def ingest_and_dbt(self) -> list[dg.AssetsDefinition]:
        """Raw tables, dbt views and tables (the feature views among them), the feature store."""
        return [*self.raw, self.dbt_unpartitioned, self.dbt_daily_tables, *self.feature_store]

    @property
    def daily_raw(self) -> list[dg.AssetsDefinition]:
        """The raw tables loaded day by day (the reference tables are not partitioned)."""
        return [asset for asset in self.raw if asset.partitions_def is not None]

    @property
    def daily(self) -> list[dg.AssetsDefinition]:
        """What a backfill of a range of days loads: daily raw and dbt tables, the feature store."""
        return [*self.daily_raw, self.dbt_daily_tables, *self.feature_store]


def build_platform_assets(
    settings: PlatformSettings, specs: dict[str, ModelSpec] | None = None
) -> PlatformAssets:
    """Every asset on the settings' partitions, with one family per declared model (`specs`,
    or the settings' models file)."""
    partitions = build_daily_partitions(settings)
    specs = load_model_specs(settings.models_file) if specs is None else specs
    return PlatformAssets(
        raw=build_raw_assets(partitions),
        dbt_unpartitioned=dbt_unpartitioned,
        dbt_daily_tables=build_dbt_daily_tables(partitions),
        feature_store=[
            build_feature_files_asset(partitions),
            build_online_store_asset(partitions, specs),
        ],
        models=build_all_model_families(specs, partitions),
    )
