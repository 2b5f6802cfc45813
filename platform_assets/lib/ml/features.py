"""Which feature-table columns a model may use, and reading a window of them from DuckDB.

Column roles (key, feature, label, metadata) are declared once, in the dbt model's YAML,
and read here from the prepared dbt manifest: the feature table and the models cannot
disagree about what is a feature. Outcomes and labels are refused as features.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from platform_assets.lib.ml.spec import OUTCOME_COLUMNS, ModelSpec, ModelSpecError
from platform_assets.lib.warehouse import quote_identifier

if TYPE_CHECKING:  # the frame comes from DuckDB; sensors import this module without pandas
    import pandas as pd

FEATURE_TABLE = "marts.flight_features"
FEATURE_MODEL_UNIQUE_ID = "model.platform.flight_features"
ID_COLUMNS = ("flight_id", "flight_date")


class LeakageError(ModelSpecError):
    """A model asked for a column that is only known after departure (or is its label)."""


def feature_table_roles(manifest_path: Path) -> dict[str, str]:
    """Role of each column of the feature table, as declared in dbt (`meta.role`)."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    columns = manifest["nodes"][FEATURE_MODEL_UNIQUE_ID]["columns"]
    return {
        name: (column.get("meta") or {}).get("role", "metadata") for name, column in columns.items()
    }


def resolve_features(spec: ModelSpec, roles: dict[str, str]) -> list[str]:
    """The model's feature columns, after refusing leakage and unknown columns."""
    labels = {name for name, role in roles.items() if role == "label"}
    requested = list(spec.features or [name for name, role in roles.items() if role == "feature"])
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
            f"have as features. Known features: {known}."
        )
    if roles.get(spec.target) != "label":
        raise ModelSpecError(
            f"Model '{spec.name}' has target '{spec.target}', which is not a label column of "
            f"{FEATURE_TABLE} (labels: {', '.join(sorted(labels))})."
        )
    return requested


def read_feature_rows(
    connection: duckdb.DuckDBPyConnection,
    columns: list[str],
    start: date,
    end: date,
    label: str | None = None,
) -> pd.DataFrame:
    """Feature-table rows of days start..end, by flight; with a label, labelled rows only."""
    selected = ", ".join(
        quote_identifier(name) for name in [*ID_COLUMNS, *columns, *([label] if label else [])]
    )
    labelled = f" AND {quote_identifier(label)} IS NOT NULL" if label else ""
    return connection.execute(
        f"SELECT {selected} FROM {FEATURE_TABLE} "
        f"WHERE flight_date BETWEEN ? AND ?{labelled} ORDER BY flight_id",
        [start, end],
    ).df()


def latest_labelled_day(connection: duckdb.DuckDBPyConnection, label: str) -> date | None:
    """The most recent day that has labelled flights: the default training cutoff."""
    return connection.execute(
        f"SELECT max(flight_date) FROM {FEATURE_TABLE} WHERE {quote_identifier(label)} IS NOT NULL"
    ).fetchone()[0]
