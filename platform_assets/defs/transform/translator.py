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

from platform_assets.defs.automation.conditions import follows_new_days, follows_reference_data
from platform_assets.lib.features.catalog import feature_view_from_node


class PlatformDbtTranslator(DagsterDbtTranslator):
    """Schema-qualified keys, one group per dbt layer, new days followed by incremental models.

    Feature views (group `features`) also carry their entities, event timestamp, TTL and owner.
    """

    def __init__(self) -> None:
        # Views hold no data: as virtual assets, automation looks through them to raw tables.
        super().__init__(
            settings=DagsterDbtTranslatorSettings(
                enable_asset_checks=True, enable_dbt_views_as_virtual_assets=True
            )
        )

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> dg.AssetSpec:
        """Incremental models also depend directly on the sources they read through views.

        Views are virtual, and Dagster orders a run's steps by the assets in that run only: a
        run of the raw tables and the feature table, without the views (a backfill of the
        daily assets, or those assets selected in the UI), built the features before the raw
        days were loaded. The direct deps order it; the lineage through the views stays.
        """
        spec = super().get_asset_spec(manifest, unique_id, project)
        model = manifest["nodes"].get(unique_id, {})
        view = feature_view_from_node(model) if model.get("resource_type") == "model" else None
        if view is not None:
            spec = spec.merge_attributes(
                metadata=view.asset_metadata(), owners=[view.owner] if view.owner else []
            )
        if not _is_incremental(model):
            return spec
        already = {dep.asset_key for dep in spec.deps}
        deps = []
        for source in _sources_read_through_views(manifest, unique_id):
            key = self.get_asset_spec(manifest, source, project).key
            if key not in already:
                source_props = self.get_resource_props(manifest, source)
                mapping = self.get_partition_mapping(model, source_props)
                deps.append(dg.AssetDep(key, partition_mapping=mapping))
        return spec.merge_attributes(deps=deps)

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "model":
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_automation_condition(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> dg.AutomationCondition | None:
        if _is_incremental(dbt_resource_props):
            return follows_new_days()
        if dbt_resource_props.get("config", {}).get("materialized") == "table":
            # a reference feature table follows its raw table (a re-delivered planes file)
            return follows_reference_data()
        return None

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "model":
            return dbt_resource_props["schema"]
        return super().get_group_name(dbt_resource_props)


def _is_incremental(dbt_resource_props: Mapping[str, Any]) -> bool:
    return dbt_resource_props.get("config", {}).get("materialized") == "incremental"


def _sources_read_through_views(manifest: Mapping[str, Any], unique_id: str) -> list[str]:
    """The dbt sources a model reads directly or through views, in manifest order."""
    sources, pending, seen = [], list(manifest["parent_map"][unique_id]), set()
    while pending:
        parent = pending.pop(0)
        if parent in seen:
            continue
        seen.add(parent)
        if parent.startswith("source."):
            sources.append(parent)
        elif manifest["nodes"][parent].get("config", {}).get("materialized") == "view":
            pending.extend(manifest["parent_map"][parent])
    return sources
