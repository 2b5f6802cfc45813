"""Opening the DuckDB warehouse: one process at a time, waiting briefly for the lock.

DuckDB lets one process open a database file for writing, and read-only openers are refused
while it does. Steps that touch the warehouse run in the Dagster pool that `dagster.yaml`
limits to one at a time; the CLI opens it for moments, sensors never (they read files the
steps publish, lib/monitoring/sensor_files.py). An opener that meets a held lock retries
for a while instead of failing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

LOCK_WAIT_SECONDS = 60.0


class WarehouseBusyError(ValueError):
    """Another process held the warehouse for longer than the wait allowed."""


def _open(path: Path, read_only: bool, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    while True:
        try:
            connection = duckdb.connect(str(path), read_only=read_only)
            # every time the platform shows or casts is UTC, whatever the machine's zone
            connection.execute("SET TimeZone = 'UTC'")
            return connection
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusyError(
                    f"The warehouse {path} is busy: another process holds it ({error}). "
                    "Retry when that run ends."
                ) from error
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


@contextmanager
def connect(
    path: Path, *, read_only: bool = False, wait_seconds: float = LOCK_WAIT_SECONDS
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse file (creating its folder for a writer) and always close it."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.exists():
        raise FileNotFoundError(
            f"The warehouse {path} does not exist yet: materialize the ingest assets first."
        )
    connection = _open(path, read_only, wait_seconds)
    try:
        if not read_only:  # a writer brings a warehouse made by an older release forward
            from platform_assets.lib.schema_migrations import migrate

            migrate(connection)
        yield connection
    finally:
        connection.close()


@contextmanager
def transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Everything inside commits together or not at all."""
    connection.execute("BEGIN TRANSACTION")
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def quote_identifier(name: str) -> str:
    """Quote a column or table name for SQL (names like `hour` are keywords in DuckDB)."""
    return '"' + name.replace('"', '""') + '"'


def table_exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether `schema.table` exists: readers of a fresh warehouse find nothing, not an error."""
    schema, name = table.split(".")
    found = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, name],
    ).fetchone()[0]
    return found > 0
