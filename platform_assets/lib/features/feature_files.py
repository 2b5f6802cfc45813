"""The feature views and the feature table as Parquet files under the data root.

One folder per view (`features/<view>/`), one file per day of a time-based view
(`<YYYY-MM-DD>.parquet`, the rows its run wrote for that day) and one file for reference data
(`reference.parquet`): the sources Feast reads. The feature table gets a folder of its own,
`features/flight_features/`, a file per flight day, and so do the events the service's live
views come from (`flight_events/`, `weather_events/`). With the views, the table is what a
notebook reads while the platform runs (a reader of these files never holds the DuckDB
warehouse, which refuses the platform's writing runs while any other process has it open).
Each file is written under a temporary name and renamed, so a reader never sees half a day;
writing a day again replaces it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from platform_assets.lib.features.catalog import FeatureCatalog, FeatureView
from platform_assets.lib.ml.features import FEATURE_TABLE
from platform_assets.lib.warehouse import quote_identifier

REFERENCE_FILE = "reference.parquet"
FEATURE_TABLE_FOLDER = "flight_features"
FLIGHT_EVENTS_FOLDER = "flight_events"
WEATHER_EVENTS_FOLDER = "weather_events"


def view_folder(root: Path, view: FeatureView) -> Path:
    return root / view.name


def source_glob(root: Path, view: FeatureView) -> str:
    """The path Feast's file source reads: every file of the view's folder."""
    return str(view_folder(root, view) / "*.parquet")


@dataclass(frozen=True)
class _Source:
    """What one folder of files is written from."""

    table: str
    columns: tuple[str, ...] | None  # None: every column
    order_by: str
    window_column: str | None  # the day each file holds; None: one reference file, whole


def _sources(catalog: FeatureCatalog) -> dict[str, _Source]:
    """Every folder's source, by folder name: each feature view, then the feature table."""
    sources = {
        view.name: _Source(
            view.table,
            (*view.entities, view.event_timestamp, *(f.name for f in view.features)),
            view.event_timestamp,
            view.window_column,
        )
        for view in catalog.views.values()
    }
    sources[FEATURE_TABLE_FOLDER] = _Source(FEATURE_TABLE, None, "flight_id", "flight_date")
    # the events the live views are evaluated from (lib/features/live_events.py)
    sources[FLIGHT_EVENTS_FOLDER] = _Source(
        "intermediate.int_flight_times",
        ("flight_id", "flight_date", "origin", "dest", "tailnum", "carrier", "flight_number",
         "scheduled_departure_utc", "departed_at_utc"),
        "flight_id",
        "flight_date",
    )  # fmt: skip
    sources[WEATHER_EVENTS_FOLDER] = _Source(
        "staging.stg_weather",
        None,
        "observed_at_utc",
        "observation_date_local",
    )
    return sources


def _copy(connection: duckdb.DuckDBPyConnection, source: _Source, where, params, target: Path):
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    columns = source.columns
    selected = ", ".join(quote_identifier(c) for c in columns) if columns else "*"
    connection.execute(
        f"COPY (SELECT {selected} FROM {source.table} WHERE {where} "
        f"ORDER BY {quote_identifier(source.order_by)}) TO '{partial}' (FORMAT parquet)",
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
    """Write days first..last of every time-based view and of the feature table, and every
    reference view whole.

    Returns the number of files written per folder.
    """
    written = {}
    for name, source in _sources(catalog).items():
        folder = root / name
        if source.window_column is None:
            _copy(connection, source, "true", [], folder / REFERENCE_FILE)
            written[name] = 1
            continue
        day, count = first, 0
        while day <= last:
            where = f"{quote_identifier(source.window_column)} = ?"
            _copy(connection, source, where, [day], folder / f"{day.isoformat()}.parquet")
            day, count = day + timedelta(days=1), count + 1
        written[name] = count
    return written
