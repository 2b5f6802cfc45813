"""The feature views as dbt declares them, read from the prepared dbt manifest.

A feature view is a dbt model under `models/features/` whose YAML gives its entity keys
(columns with `meta.role: entity`), its event timestamp (when a value became known), its TTL
(`config.meta.feature_view.ttl_hours`, 0 = never expires) and its features (`role: feature`,
typed by `data_type`); `flight_columns: true` marks a view of the flight's own columns,
which only the prediction service reads. Everything else reads this one declaration: the
Dagster assets' metadata, point-in-time retrieval, the generated Feast registry and the
models' feature references. It imports neither Feast nor Dagster: the definitions check a
model's references here at load, and `import feast` costs seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_MANIFEST = Path(__file__).resolve().parents[3] / "dbt_project" / "target" / "manifest.json"
FEATURE_SEPARATOR = "__"
"""A model's input column for feature `f` of view `v` is `v__f` (Feast's full feature names)."""

# dbt data_type -> Feast type name
FEAST_TYPES = {"bigint": "Int64", "integer": "Int64", "double": "Float64", "varchar": "String"}


class FeatureViewError(ValueError):
    """A feature view declared in dbt that the platform cannot use as written."""


@dataclass(frozen=True)
class Feature:
    name: str
    feast_type: str
    description: str


@dataclass(frozen=True)
class FeatureView:
    """One feature view: where its rows are, how they are keyed in time, what they hold."""

    name: str
    table: str
    description: str
    entities: tuple[str, ...]
    entity_types: tuple[str, ...]
    entity_descriptions: tuple[str, ...]
    event_timestamp: str
    window_column: str | None  # the day a run writes (None: reference data, rebuilt whole)
    ttl: timedelta  # timedelta(0): never expires
    features: tuple[Feature, ...]
    owner: str | None
    age_feature: str | None  # minutes from the row's event timestamp to the prediction time
    # its features are columns the feature table has (the route's distance): the service
    # looks them up, the models take them from the table (`features: all` leaves it out)
    flight_columns: bool = False

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Every feature a model can ask of this view, the derived age included."""
        stored = tuple(feature.name for feature in self.features)
        return (*stored, self.age_feature) if self.age_feature else stored

    def column(self, feature: str) -> str:
        """The model input column of one of this view's features."""
        return f"{self.name}{FEATURE_SEPARATOR}{feature}"

    def asset_metadata(self) -> dict[str, Any]:
        """What the Dagster asset of the view shows besides dbt's own metadata."""
        return {
            "feature_view/entities": ", ".join(self.entities),
            "feature_view/event_timestamp": self.event_timestamp,
            "feature_view/ttl": str(self.ttl) if self.ttl else "never expires",
            "feature_view/features": ", ".join(self.feature_names),
        }


def feature_view_from_node(node: dict[str, Any]) -> FeatureView | None:
    """The feature view a dbt manifest node declares, or None for any other model."""
    declared = (node.get("config", {}).get("meta") or {}).get("feature_view")
    if declared is None:
        return None
    name = node["name"]
    by_role: dict[str, list[dict[str, Any]]] = {}
    for column in node["columns"].values():
        by_role.setdefault((column.get("meta") or {}).get("role", ""), []).append(column)
    timestamps = by_role.get("event_timestamp", [])
    if len(timestamps) != 1:
        raise FeatureViewError(
            f"Feature view '{name}' must declare exactly one column with meta.role "
            f"event_timestamp (when each value became known); it declares {len(timestamps)}. "
            f"Fix dbt_project/models/features/_features.yml."
        )
    entities = by_role.get("entity", [])
    if not entities:
        raise FeatureViewError(
            f"Feature view '{name}' declares no entity column (meta.role entity)."
        )
    for column in [*entities, *by_role.get("feature", [])]:
        if column.get("data_type") not in FEAST_TYPES:
            raise FeatureViewError(
                f"Feature view '{name}': column '{column['name']}' needs a data_type of "
                f"{', '.join(FEAST_TYPES)}; found {column.get('data_type')!r}."
            )
    windows = by_role.get("window", [])
    return FeatureView(
        name=name,
        table=f"{node['schema']}.{node['name']}",
        description=" ".join((node.get("description") or "").split()),
        entities=tuple(column["name"] for column in entities),
        entity_types=tuple(FEAST_TYPES[column["data_type"]] for column in entities),
        entity_descriptions=tuple(column.get("description", "") for column in entities),
        event_timestamp=timestamps[0]["name"],
        window_column=windows[0]["name"] if windows else None,
        ttl=timedelta(hours=float(declared.get("ttl_hours", 0))),
        features=tuple(
            Feature(column["name"], FEAST_TYPES[column["data_type"]], column.get("description", ""))
            for column in by_role.get("feature", [])
        ),
        owner=declared.get("owner"),
        age_feature=declared.get("age_feature"),
        flight_columns=bool(declared.get("flight_columns", False)),
    )


@dataclass(frozen=True)
class FeatureCatalog:
    """Every feature view of the dbt project, by name."""

    views: dict[str, FeatureView]

    @classmethod
    def from_manifest(cls, manifest_path: Path = DEFAULT_MANIFEST) -> FeatureCatalog:
        return _catalog(manifest_path, manifest_path.stat().st_mtime_ns)

    def view_of_column(self, column: str) -> tuple[FeatureView, str] | None:
        """(view, feature) of a model input column `view__feature`; None for a flight column."""
        if FEATURE_SEPARATOR not in column:
            return None
        view_name, feature = column.split(FEATURE_SEPARATOR, 1)
        view = self.views.get(view_name)
        if view is None or feature not in view.feature_names:
            raise FeatureViewError(f"Unknown feature column '{column}'.")
        return view, feature

    def resolve(self, reference: str) -> list[str]:
        """The input columns of one `view:feature` or `view:*` reference, or a clear error."""
        view_name, _, feature = reference.partition(":")
        view = self.views.get(view_name)
        if view is None:
            raise FeatureViewError(
                f"Unknown feature view '{view_name}' in reference '{reference}'. Feature views: "
                f"{', '.join(sorted(self.views))} (dbt_project/models/features)."
            )
        if feature == "*":
            return [view.column(name) for name in view.feature_names]
        if feature not in view.feature_names:
            raise FeatureViewError(
                f"Feature view '{view_name}' has no feature '{feature}' (reference "
                f"'{reference}'). Its features: {', '.join(view.feature_names)}."
            )
        return [view.column(feature)]


@cache
def _catalog(manifest_path: Path, _modified: int) -> FeatureCatalog:
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    views = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and (view := feature_view_from_node(node)):
            views[view.name] = view
    return FeatureCatalog(views)
