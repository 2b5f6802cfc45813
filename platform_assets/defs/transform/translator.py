"""How dbt models appear in Dagster: keys and groups named after their warehouse schema.

A model's asset key is `<schema>/<model>` (e.g. `marts/flight_features`), the table a user
queries; its group is its dbt layer. Sources keep the keys their `meta.dagster.asset_key`
gives them (the ingest assets). Changing a key orphans its materialization history.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from platform_assets.defs.automation.conditions import follows_new_days


class PlatformDbtTranslator(DagsterDbtTranslator):
    """Schema-qualified keys, one group per dbt layer, new days followed by incremental models."""

    def __init__(self) -> None:
        # Views hold no data: as virtual assets, automation looks through them to raw tables.
        super().__init__(
            settings=DagsterDbtTranslatorSettings(
                enable_asset_checks=True, enable_dbt_views_as_virtual_assets=True
            )
        )

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "model":
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_automation_condition(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> dg.AutomationCondition | None:
        if dbt_resource_props.get("config", {}).get("materialized") == "incremental":
            return follows_new_days()
        return None

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "model":
            return dbt_resource_props["schema"]
        return super().get_group_name(dbt_resource_props)
