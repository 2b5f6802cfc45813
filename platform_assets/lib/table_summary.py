"""What a table (or one partition of it) looks like: columns, a preview and a column profile.

Plain data and markdown for the asset metadata a user reads in the UI; computed in DuckDB so
that only a handful of rows ever reach Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from platform_assets.lib.warehouse import quote_identifier

PREVIEW_ROWS = 5
TOP_VALUES = 3
MAX_TOP_VALUE_DISTINCT = 1000  # more distinct values than this: a key, shown as a range


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured markdown table (the UI renders it)."""

    def cell(value: Any) -> str:
        text = "" if value is None else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def column_types(connection: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """(name, type) of each column of a schema-qualified table, in table order."""
    schema, name = table.split(".")
    return connection.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, name],
    ).fetchall()


def count_rows(
    connection: duckdb.DuckDBPyConnection, table: str, where: str = "TRUE", params: Sequence = ()
) -> int:
    """Rows of the table that match the (parameterised) condition."""
    query = f"SELECT count(*) FROM {table} WHERE {where}"
    return connection.execute(query, list(params)).fetchone()[0]


def preview_markdown(
    connection: duckdb.DuckDBPyConnection, table: str, where: str = "TRUE", params: Sequence = ()
) -> str:
    """The first rows of the table that match the condition, as markdown."""
    result = connection.execute(
        f"SELECT * FROM {table} WHERE {where} LIMIT {PREVIEW_ROWS}", list(params)
    )
    columns = [description[0] for description in result.description]
    return markdown_table(columns, result.fetchall())


def _column_statistics(
    connection: duckdb.DuckDBPyConnection, table: str, relation: str, params: Sequence
) -> list[tuple[str, str, Any, Any, int, float]]:
    """(name, type, min, max, approximate distinct count, null percentage) of each column.

    One aggregate over the rows, computing only these: DuckDB's SUMMARIZE also computes
    quantiles, mean and deviation nobody is shown, at about ten times the cost on a large
    partition range.
    """
    columns = column_types(connection, table)
    aggregates = ["count(*)"]
    for name, _ in columns:
        quoted = quote_identifier(name)
        aggregates += [
            f"min({quoted})",
            f"max({quoted})",
            f"approx_count_distinct({quoted})",
            f"count({quoted})",
        ]
    row = connection.execute(f"SELECT {', '.join(aggregates)} FROM {relation}", list(params))
    total, *values = row.fetchone()
    statistics = []
    for index, (name, kind) in enumerate(columns):
        low, high, distinct, non_null = values[4 * index : 4 * index + 4]
        null_percentage = 100.0 * (total - non_null) / total if total else 0.0
        statistics.append((name, kind, low, high, distinct, null_percentage))
    return statistics


def column_profile_markdown(
    connection: duckdb.DuckDBPyConnection, table: str, where: str = "TRUE", params: Sequence = ()
) -> str:
    """Per column: type, null share, range (numbers and dates) or top values (text, booleans).

    Text columns with more than MAX_TOP_VALUE_DISTINCT values (keys) show their range
    instead: each top value would count 1, and counting them all was the profile's most
    expensive query.
    """
    relation = f"(SELECT * FROM {table} WHERE {where})"
    summary = _column_statistics(connection, table, relation, params)
    categorical = [
        name
        for name, kind, _, _, distinct, _ in summary
        if kind in ("VARCHAR", "BOOLEAN") and distinct <= MAX_TOP_VALUE_DISTINCT
    ]
    top_values: dict[str, list[str]] = {}
    if categorical:
        quoted = ", ".join(
            f"CAST({quote_identifier(n)} AS VARCHAR) AS {quote_identifier(n)}" for n in categorical
        )
        counts = connection.execute(
            f"""
            WITH counted AS (
                SELECT name, value, count(*) AS n
                FROM (UNPIVOT (SELECT {quoted} FROM {relation})
                      ON COLUMNS(*) INTO NAME name VALUE value)
                GROUP BY name, value
            )
            SELECT name, value, n FROM counted
            QUALIFY row_number() OVER (PARTITION BY name ORDER BY n DESC, value) <= {TOP_VALUES}
            ORDER BY name, n DESC, value
            """,
            list(params),
        ).fetchall()
        for name, value, count in counts:
            top_values.setdefault(name, []).append(f"{value} ({count})")
    profile_rows = []
    for name, kind, low, high, distinct, null_percentage in summary:
        if name in categorical:
            spread = ", ".join(top_values.get(name, []))
        else:
            spread = f"{low} .. {high}" if low is not None else ""
        profile_rows.append((name, kind, f"{float(null_percentage):.1f}%", distinct, spread))
    return markdown_table(
        ["column", "type", "null share", "distinct (approx.)", "range or top values"],
        profile_rows,
    )
