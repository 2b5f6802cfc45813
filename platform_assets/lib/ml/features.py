"""Which features a model may use: the flight's own columns and the feature views' features.

Column roles (key, feature, label) of the feature table and the feature views are declared
once, in the dbt models' YAML, and read here from the prepared dbt manifest: the tables and
the models cannot disagree about what is a feature. Outcomes and labels are refused as
features; an unknown feature-view reference fails with the references there are.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from platform_assets.lib.features.catalog import FeatureCatalog, FeatureViewError
from platform_assets.lib.features.retrieval import FLIGHTS_TABLE, read_feature_rows
from platform_assets.lib.ml.spec import OUTCOME_COLUMNS, ModelSpec, ModelSpecError
from platform_assets.lib.warehouse import quote_identifier

if TYPE_CHECKING:  # the frame comes from DuckDB; sensors import this module without pandas
    import pandas as pd

FEATURE_TABLE = FLIGHTS_TABLE
FEATURE_MODEL_UNIQUE_ID = "model.platform.flight_features"


class LeakageError(ModelSpecError):
    """A model asked for a column that is only known after departure (or is its label)."""


def feature_table_roles(manifest_path: Path) -> dict[str, str]:
    """Role of each column of the feature table, as declared in dbt (`meta.role`)."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    columns = manifest["nodes"][FEATURE_MODEL_UNIQUE_ID]["columns"]
    return {
        name: (column.get("meta") or {}).get("role", "metadata") for name, column in columns.items()
    }


def resolve_features(spec: ModelSpec, roles: dict[str, str], catalog: FeatureCatalog) -> list[str]:
    """The model's input columns, after refusing leakage and unknown columns or references.

    The flight's own columns keep their names; a feature view's features are `view__feature`.
    `features: all` is every own column and every feature of every view (but those of the
    flight's own columns, which the table has).
    """
    labels = {name for name, role in roles.items() if role == "label"}
    own_features = [name for name, role in roles.items() if role == "feature"]
    model_views = [name for name, view in catalog.views.items() if not view.flight_columns]
    references = spec.features or (*own_features, *(f"{name}:*" for name in model_views))
    try:
        from_views = [column for ref in references if ":" in ref for column in catalog.resolve(ref)]
    except FeatureViewError as error:
        raise ModelSpecError(f"Model '{spec.name}': {error}") from error
    requested = [name for name in references if ":" not in name]
    leaked = [
        name for name in requested if name in OUTCOME_COLUMNS or name in labels | {spec.target}
    ]
    if leaked:
        raise LeakageError(
            f"Model '{spec.name}' lists {', '.join(leaked)} as features, but "
            f"{'they are' if len(leaked) > 1 else 'it is'} known only after departure or a "
            f"label (outcomes: {', '.join(OUTCOME_COLUMNS)}; labels: {', '.join(sorted(labels))}). "
            "Remove them from `features` in the models file."
        )
    unknown = [name for name in requested if roles.get(name) != "feature"]
    if unknown:
        known = ", ".join(name for name, role in roles.items() if role == "feature")
        raise ModelSpecError(
            f"Model '{spec.name}' lists {', '.join(unknown)}, which the feature table does not "
            f"have as features. Known features: {known}; feature-view features are named "
            "`view:feature` or `view:*`."
        )
    if roles.get(spec.target) != "label":
        raise ModelSpecError(
            f"Model '{spec.name}' has target '{spec.target}', which is not a label column of "
            f"{FEATURE_TABLE} (labels: {', '.join(sorted(labels))})."
        )
    return [*requested, *from_views]


def version_feature_rows(
    connection: duckdb.DuckDBPyConnection, version, start: date, end: date, *extra_columns: str
) -> pd.DataFrame:
    """Days start..end with the features a registered version was trained on, as known at its
    prediction lead: a version is scored with what it learned from, not today's declaration."""
    return read_feature_rows(
        connection,
        [*version.params["features"], *extra_columns],
        start,
        end,
        lead_minutes=int(version.params["prediction_lead_minutes"]),
    )


def latest_labelled_day(connection: duckdb.DuckDBPyConnection, label: str) -> date | None:
    """The most recent day that has labelled flights: the default training cutoff."""
    return connection.execute(
        f"SELECT max(flight_date) FROM {FEATURE_TABLE} WHERE {quote_identifier(label)} IS NOT NULL"
    ).fetchone()[0]
