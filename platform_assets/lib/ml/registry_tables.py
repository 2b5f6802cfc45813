"""The registry's two tables: `ml.model_versions` (one row per version, with its alias) and the
audit trail `ml.model_alias_events`, their row types, and the one way an alias moves.

Every alias move writes its audit row in the caller's transaction (`move_alias`), so the
trail and the aliases never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

import duckdb

from platform_assets.lib.warehouse import quote_identifier, table_exists


class AliasChange(NamedTuple):
    """Why an alias moves and who moves it: one audit row's action, reason and actor."""

    action: str
    reason: str
    actor: str


@dataclass(frozen=True)
class ModelVersion:
    """One row of `ml.model_versions`, with its JSON columns decoded."""

    model_name: str
    version: str
    version_number: int
    created_at: datetime
    params: dict[str, Any]
    metrics: dict[str, Any]
    training_start: date
    training_end: date
    row_count: int
    data_fingerprint: str
    dbt_manifest_checksum: str
    git_commit: str | None
    package_versions: dict[str, str]
    artifact_path: str
    artifact_sha256: str
    reference_sample_path: str | None
    reference_sample_sha256: str | None
    alias: str


@dataclass(frozen=True)
class AliasEvent:
    """One row of the audit trail: who moved which version from which alias to which, and why."""

    event_id: int
    model_name: str
    version: str
    action: str
    from_alias: str | None
    to_alias: str
    reason: str
    actor: str
    at: datetime


VERSION_FIELDS = [field.name for field in fields(ModelVersion)]
VERSION_COLUMNS_SQL = ", ".join(quote_identifier(name) for name in VERSION_FIELDS)
EVENT_COLUMNS_SQL = ", ".join(quote_identifier(field.name) for field in fields(AliasEvent))
JSON_FIELDS = ("params", "metrics", "package_versions")


def ensure_registry_schema(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the `ml` schema, the versions table and the audit table if they do not exist."""
    connection.execute("CREATE SCHEMA IF NOT EXISTS ml")
    connection.execute(
        """
        CREATE TABLE IF NOT EXISTS ml.model_versions (
            model_name VARCHAR NOT NULL, version VARCHAR NOT NULL,
            version_number INTEGER NOT NULL, created_at TIMESTAMPTZ NOT NULL,
            params JSON NOT NULL, metrics JSON NOT NULL,
            training_start DATE NOT NULL, training_end DATE NOT NULL, row_count BIGINT NOT NULL,
            data_fingerprint VARCHAR NOT NULL, dbt_manifest_checksum VARCHAR NOT NULL,
            git_commit VARCHAR, package_versions JSON NOT NULL,
            artifact_path VARCHAR NOT NULL, artifact_sha256 VARCHAR NOT NULL,
            reference_sample_path VARCHAR, reference_sample_sha256 VARCHAR,
            alias VARCHAR NOT NULL CHECK (alias IN ('candidate', 'champion', 'archived')),
            PRIMARY KEY (model_name, version)
        )
        """
    )
    connection.execute(
        """
        CREATE TABLE IF NOT EXISTS ml.model_alias_events (
            event_id BIGINT PRIMARY KEY, model_name VARCHAR NOT NULL, version VARCHAR NOT NULL,
            action VARCHAR NOT NULL CHECK (action IN ('register', 'promote', 'rollback')),
            from_alias VARCHAR, to_alias VARCHAR NOT NULL, reason VARCHAR NOT NULL,
            actor VARCHAR NOT NULL, "at" TIMESTAMPTZ NOT NULL
        )
        """
    )


def move_alias(
    connection: duckdb.DuckDBPyConnection,
    model_name: str,
    version: str,
    from_alias: str | None,
    to_alias: str,
    change: AliasChange,
) -> None:
    """Set a version's alias and write the audit row for the move."""
    connection.execute(
        "UPDATE ml.model_versions SET alias = ? WHERE model_name = ? AND version = ?",
        [to_alias, model_name, version],
    )
    connection.execute(
        "INSERT INTO ml.model_alias_events "
        "SELECT coalesce(max(event_id), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ? FROM ml.model_alias_events",
        [
            model_name,
            version,
            change.action,
            from_alias,
            to_alias,
            change.reason,
            change.actor,
            utc_now(),
        ],
    )


def registry_exists(connection: duckdb.DuckDBPyConnection) -> bool:
    """Whether a model was ever registered in this warehouse (readers find nothing before)."""
    return table_exists(connection, "ml.model_alias_events")


def utc_now() -> datetime:
    """The time now, aware and in UTC, as the TIMESTAMPTZ columns store it."""
    return datetime.now(UTC)
