"""The feature views as Parquet files under the data root: the sources Feast reads.

One folder per view (`features/<view>/`), one file per day of a time-based view
(`<YYYY-MM-DD>.parquet`, the rows its run wrote for that day) and one file for reference data
(`reference.parquet`). Each file is written under a temporary name and renamed, so a reader
never sees half a day; writing a day again replaces it.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import duckdb

from platform_assets.lib.features.catalog import FeatureCatalog, FeatureView
from platform_assets.lib.warehouse import quote_identifier

REFERENCE_FILE = "reference.parquet"


def view_folder(root: Path, view: FeatureView) -> Path:
    return root / view.name


def source_glob(root: Path, view: FeatureView) -> str:
    """The path Feast's file source reads: every file of the view's folder."""
    return str(view_folder(root, view) / "*.parquet")


def _copy(
    connection: duckdb.DuckDBPyConnection, view: FeatureView, where: str, params, target: Path
):
    columns = [*view.entities, view.event_timestamp, *(f.name for f in view.features)]
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    selected = ", ".join(quote_identifier(c) for c in columns)
    connection.execute(
        f"COPY (SELECT {selected} FROM {view.table} WHERE {where} "
        f"ORDER BY {quote_identifier(view.event_timestamp)}) "
        f"TO '{partial}' (FORMAT parquet)",
        params,
    )
    os.replace(partial, target)


def write_feature_files(
    connection: duckdb.DuckDBPyConnection,
    catalog: FeatureCatalog,
    root: Path,
    first: date,
    last: date,
) -> dict[str, int]:
    """Write days first..last of every time-based view, and every reference view whole.

    Returns the number of files written per view.
    """
    written = {}
    for view in catalog.views.values():
        folder = view_folder(root, view)
        if view.window_column is None:
            _copy(connection, view, "true", [], folder / REFERENCE_FILE)
            written[view.name] = 1
            continue
        day, count = first, 0
        while day <= last:
            where = f"{quote_identifier(view.window_column)} = ?"
            _copy(connection, view, where, [day], folder / f"{day.isoformat()}.parquet")
            day, count = day + timedelta(days=1), count + 1
        written[view.name] = count
    return written
