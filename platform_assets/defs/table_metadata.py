"""Dagster metadata for a warehouse table or partition: row count, schema and a preview."""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
import duckdb

from platform_assets.lib.table_summary import column_types, count_rows, preview_markdown


def table_metadata(
    connection: duckdb.DuckDBPyConnection, table: str, where: str = "TRUE", params: Sequence = ()
) -> dict[str, dg.MetadataValue | int | str]:
    """Row count of the rows written, the table's column schema and a small markdown preview."""
    schema = dg.TableSchema(
        columns=[dg.TableColumn(name, kind) for name, kind in column_types(connection, table)]
    )
    return {
        "dagster/row_count": count_rows(connection, table, where, params),
        "dagster/column_schema": schema,
        "dagster/table_name": table,
        "preview": dg.MetadataValue.md(preview_markdown(connection, table, where, params)),
    }
