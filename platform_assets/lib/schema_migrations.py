"""The warehouse schema's version, and the steps that bring an older warehouse forward.

The tables the platform's Python writes (`ml.*`, `monitoring.*`) are created at their current
shape with `CREATE TABLE IF NOT EXISTS`, which leaves a table made by an earlier release as it
was. So a change to such a table is also a step here: `migrate` runs, in order, each step the
warehouse has not recorded in `main.platform_schema_migrations`, each in a transaction with
its record, so an upgrade interrupted midway resumes at the step it stopped at. A step changes
only tables that exist (a table created later is created current). A warehouse recorded at a
version newer than this code knows is refused rather than written with the older shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import duckdb

from platform_assets.lib.warehouse import quote_identifier, table_exists, transaction

MIGRATIONS_TABLE = "main.platform_schema_migrations"


class Migration(NamedTuple):
    version: int
    description: str
    apply: Callable[[duckdb.DuckDBPyConnection], None]


class NewerSchemaError(RuntimeError):
    """The warehouse was written by a newer release of the platform than this one."""


def _has_column(connection: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    schema, name = table.split(".")
    return bool(
        connection.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
            "AND column_name = ?",
            [schema, name, column],
        ).fetchone()[0]
    )


def _monitoring_in_sample(connection: duckdb.DuckDBPyConnection) -> None:
    """Days monitored before the flag existed: in sample when on or before the end of the
    monitored version's training window, as the registry records it."""
    for table in ("monitoring.drift", "monitoring.performance"):
        if not table_exists(connection, table) or _has_column(connection, table, "in_sample"):
            continue
        connection.execute(f"ALTER TABLE {table} ADD COLUMN in_sample BOOLEAN")
        if table_exists(connection, "ml.model_versions"):
            connection.execute(
                f"UPDATE {table} AS m SET in_sample = m.partition_date <= v.training_end "
                "FROM ml.model_versions AS v "
                "WHERE v.model_name = m.model_name AND v.version = m.model_version"
            )


def _timestamps_in_utc(connection: duckdb.DuckDBPyConnection) -> None:
    """Every stored time becomes a TIMESTAMPTZ. Earlier releases stored `now()` cast to a
    naive TIMESTAMP, which is the session's local time; on the machines they ran on (and in
    the platform's own runs, which set the session to UTC) that was UTC, and it is read so."""
    naive = connection.execute(
        "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
        "WHERE schema_name IN ('raw', 'ml', 'monitoring') AND data_type = 'TIMESTAMP' "
        "AND table_name IN (SELECT table_name FROM duckdb_tables() "
        "WHERE schema_name = duckdb_columns.schema_name)"
    ).fetchall()
    for schema, table, column in naive:
        name = f"{quote_identifier(schema)}.{quote_identifier(table)}"
        connection.execute(
            f"ALTER TABLE {name} ALTER COLUMN {quote_identifier(column)} "
            f"SET DATA TYPE TIMESTAMPTZ USING timezone('UTC', {quote_identifier(column)})"
        )


def _evaluations_keep_card_hashes(connection: duckdb.DuckDBPyConnection) -> None:
    """Evaluations gain the SHA-256 of the model card kept beside the version (NULL for those
    made before cards were kept)."""
    table = "ml.model_evaluations"
    if table_exists(connection, table) and not _has_column(connection, table, "card_sha256"):
        connection.execute(f"ALTER TABLE {table} ADD COLUMN card_sha256 VARCHAR")


def _evaluations_keep_held_out_figures(connection: duckdb.DuckDBPyConnection) -> None:
    """Evaluations gain the candidate's held-out intervals and importance (NULL for those made
    before: their versions' dashboards show no band)."""
    table = "ml.model_evaluations"
    if table_exists(connection, table) and not _has_column(connection, table, "held_out"):
        connection.execute(f"ALTER TABLE {table} ADD COLUMN held_out JSON")


MIGRATIONS = [
    Migration(
        1, "monitoring.drift and monitoring.performance gain in_sample", _monitoring_in_sample
    ),
    Migration(2, "stored times are TIMESTAMPTZ (UTC)", _timestamps_in_utc),
    Migration(3, "ml.model_evaluations gains card_sha256", _evaluations_keep_card_hashes),
    Migration(4, "ml.model_evaluations gains held_out", _evaluations_keep_held_out_figures),
]
SCHEMA_VERSION = MIGRATIONS[-1].version


def migrate(connection: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the steps this warehouse has not recorded; return the versions applied."""
    connection.execute(
        f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} "
        "(version INTEGER PRIMARY KEY, description VARCHAR NOT NULL, applied_at TIMESTAMPTZ)"
    )
    done = {
        row[0] for row in connection.execute(f"SELECT version FROM {MIGRATIONS_TABLE}").fetchall()
    }
    if done and max(done) > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"The warehouse is at schema version {max(done)}, written by a newer release of the "
            f"platform; this one knows versions up to {SCHEMA_VERSION}. Upgrade the platform "
            "(git pull, make setup) rather than write to it with older table shapes."
        )
    applied = []
    for migration in MIGRATIONS:
        if migration.version in done:
            continue
        with transaction(connection):
            migration.apply(connection)
            connection.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} VALUES (?, ?, now())",
                [migration.version, migration.description],
            )
        applied.append(migration.version)
    return applied
