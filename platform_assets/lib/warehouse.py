"""Opening the DuckDB warehouse: one writer at a time, readers read-only.

DuckDB lets one process write a database file. Writers run in the Dagster pool that
`dagster.yaml` limits to one run step at a time; everything else opens read-only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb


@contextmanager
def connect(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse file (creating its folder for a writer) and always close it."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.exists():
        raise FileNotFoundError(
            f"The warehouse {path} does not exist yet: materialize the ingest assets first."
        )
    connection = duckdb.connect(str(path), read_only=read_only)
    try:
        yield connection
    finally:
        connection.close()


def quote_identifier(name: str) -> str:
    """Quote a column or table name for SQL (names like `hour` are keywords in DuckDB)."""
    return '"' + name.replace('"', '""') + '"'
