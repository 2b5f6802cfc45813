"""The model registry: every trained model version, its artifact, its lineage and its alias.

Each version is a row of `ml.model_versions` in the warehouse and a joblib file (plus, if given,
a parquet reference sample) under `<artifacts>/<model_name>/`. Paths are stored relative to the
artifacts folder, so the data root can move. Files are written atomically and their SHA-256 is
checked before anything is unpickled. Aliases move only through `register_version`, `promote`
and `rollback`, and every move is written to the audit table `ml.model_alias_events` in the
same transaction. Functions take the caller's open (single-writer) DuckDB connection.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import subprocess
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import duckdb

from platform_assets.lib.warehouse import quote_identifier, transaction

if TYPE_CHECKING:  # pandas and joblib load inside the functions: sensors import this module
    import pandas as pd

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
LINEAGE_PACKAGES = ("scikit-learn", "pandas", "numpy", "duckdb", "dagster", "dbt-core", "evidently")
MODEL_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
VERSION_FILE_PATTERN = re.compile(
    r"v\d+\.(?:joblib|reference\.parquet)"
)  # what the registry writes
PENDING_FILE_PATTERN = re.compile(r"\.(v\d+\.(?:joblib|reference\.parquet))\.pending")


class _Change(NamedTuple):
    """Why an alias moves and who moves it: one audit row's action, reason and actor."""

    action: str
    reason: str
    actor: str


class ArtifactIntegrityError(ValueError):
    """An artifact file is missing or its bytes no longer match the SHA-256 recorded for it."""


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
            version_number INTEGER NOT NULL, created_at TIMESTAMP NOT NULL,
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
            actor VARCHAR NOT NULL, "at" TIMESTAMP NOT NULL
        )
        """
    )


def register_version(
    connection: duckdb.DuckDBPyConnection,
    artifacts_dir: Path,
    *,
    model_name: str,
    model: Any,
    params: dict[str, Any],
    metrics: dict[str, Any],
    training_start: date,
    training_end: date,
    row_count: int,
    data_fingerprint: str,
    dbt_manifest_checksum: str,
    reference_sample: pd.DataFrame | None = None,
    actor: str = "platform",
) -> ModelVersion:
    """Record a trained model as the next candidate: files and row land together or not at all."""
    if not MODEL_NAME_PATTERN.fullmatch(model_name):
        raise ValueError(
            f"Model name {model_name!r} cannot name a folder: use letters, digits, '_', '.' "
            "or '-', starting with a letter or digit."
        )
    row = {
        "params": _to_json(params, "params"),
        "metrics": _to_json(metrics, "metrics"),
        "package_versions": json.dumps(_package_versions(), sort_keys=True),
        "git_commit": _git_commit(),
    }
    ensure_registry_schema(connection)
    folder = artifacts_dir / model_name
    folder.mkdir(parents=True, exist_ok=True)
    _finish_or_discard_pending(connection, folder, model_name)
    try:
        with transaction(connection):
            number = connection.execute(
                "SELECT coalesce(max(version_number), 0) + 1 FROM ml.model_versions "
                "WHERE model_name = ?",
                [model_name],
            ).fetchone()[0]
            version = f"v{number}"
            payloads = {f"{version}.joblib": _joblib_bytes(model)}
            if reference_sample is not None:
                payloads[f"{version}.reference.parquet"] = reference_sample.to_parquet(index=False)
            hashes = {name: hashlib.sha256(data).hexdigest() for name, data in payloads.items()}
            pending = {name: _write_pending(folder / name, data) for name, data in payloads.items()}
            reference = f"{version}.reference.parquet" if reference_sample is not None else None
            row |= {
                "model_name": model_name,
                "version": version,
                "version_number": number,
                "created_at": _utc_now(),
                "training_start": training_start,
                "training_end": training_end,
                "row_count": row_count,
                "data_fingerprint": data_fingerprint,
                "dbt_manifest_checksum": dbt_manifest_checksum,
                "artifact_path": f"{model_name}/{version}.joblib",
                "artifact_sha256": hashes[f"{version}.joblib"],
                "reference_sample_path": f"{model_name}/{reference}" if reference else None,
                "reference_sample_sha256": hashes.get(reference),
                "alias": "candidate",
            }
            connection.execute(
                f"INSERT INTO ml.model_versions ({VERSION_COLUMNS_SQL}) "
                f"VALUES ({', '.join('$' + name for name in VERSION_FIELDS)})",
                row,
            )
            superseded = connection.execute(
                "SELECT version FROM ml.model_versions WHERE model_name = ? "
                "AND alias = 'candidate' AND version <> ? ORDER BY version_number",
                [model_name, version],
            ).fetchall()
            for (older,) in superseded:
                change = _Change("register", f"superseded by {version}", actor)
                _move_alias(connection, model_name, older, "candidate", "archived", change)
            trained = f"trained on {training_start}..{training_end}, {row_count} rows"
            registered = _Change("register", trained, actor)
            _move_alias(connection, model_name, version, None, "candidate", registered)
    except BaseException:
        # An interrupt can land after COMMIT: the rows, not this path, say what to keep.
        _finish_or_discard_pending(connection, folder, model_name)
        raise
    # The committed row is the commit point. A crash from here on leaves pending files that
    # the next registration or load publishes (their hashes are in the row).
    for name, path in pending.items():
        _publish(path, folder / name)
    return get_version(connection, model_name, version)


def list_versions(
    connection: duckdb.DuckDBPyConnection, model_name: str | None = None
) -> list[ModelVersion]:
    """Every recorded version (of one model, if named), oldest first; empty before any training."""
    if not _registry_exists(connection):
        return []
    rows = connection.execute(
        f"SELECT {VERSION_COLUMNS_SQL} FROM ml.model_versions "
        "WHERE $model_name IS NULL OR model_name = $model_name "
        "ORDER BY model_name, version_number",
        {"model_name": model_name},
    ).fetchall()
    return [
        ModelVersion(
            **{
                name: json.loads(value) if name in JSON_FIELDS else value
                for name, value in zip(VERSION_FIELDS, row, strict=True)
            }
        )
        for row in rows
    ]


def get_version(
    connection: duckdb.DuckDBPyConnection, model_name: str, version: str
) -> ModelVersion:
    """One version, or an error naming the models or versions that do exist."""
    versions = list_versions(connection, model_name)
    if not versions:
        known = sorted({v.model_name for v in list_versions(connection)})
        raise ValueError(
            f"No model named {model_name!r} is registered. "
            f"Known models: {', '.join(known) or '(none: train a model first)'}."
        )
    for candidate in versions:
        if candidate.version == version:
            return candidate
    raise ValueError(
        f"Model {model_name!r} has no version {version!r}. "
        f"Known versions: {', '.join(v.version for v in versions)}."
    )


def champion(connection: duckdb.DuckDBPyConnection, model_name: str) -> ModelVersion | None:
    """The version currently serving for a model, or None if none was promoted yet."""
    found = [v for v in list_versions(connection, model_name) if v.alias == "champion"]
    return found[0] if found else None


def alias_history(connection: duckdb.DuckDBPyConnection, model_name: str) -> list[AliasEvent]:
    """The audit trail of one model's alias moves, oldest first."""
    if not _registry_exists(connection):
        return []
    rows = connection.execute(
        f"SELECT {EVENT_COLUMNS_SQL} FROM ml.model_alias_events WHERE model_name = ? "
        "ORDER BY event_id",
        [model_name],
    ).fetchall()
    return [AliasEvent(*row) for row in rows]


def load_model(
    connection: duckdb.DuckDBPyConnection, artifacts_dir: Path, model_name: str, version: str
) -> Any:
    """Unpickle a version's model, only after its file matched the recorded SHA-256."""
    record = get_version(connection, model_name, version)
    data = _read_verified(artifacts_dir / record.artifact_path, record.artifact_sha256)
    import joblib

    return joblib.load(io.BytesIO(data))


def load_reference_sample(
    connection: duckdb.DuckDBPyConnection, artifacts_dir: Path, model_name: str, version: str
) -> pd.DataFrame:
    """Read the training sample that drift checks compare against, after verifying its hash."""
    record = get_version(connection, model_name, version)
    if record.reference_sample_path is None or record.reference_sample_sha256 is None:
        raise ValueError(
            f"{model_name} {version} was registered without a reference sample: "
            "retrain it with one to run drift checks against it."
        )
    path = artifacts_dir / record.reference_sample_path
    data = _read_verified(path, record.reference_sample_sha256)
    import pandas as pd

    return pd.read_parquet(io.BytesIO(data))


def promote(
    connection: duckdb.DuckDBPyConnection,
    artifacts_dir: Path,
    model_name: str,
    version: str,
    *,
    reason: str,
    actor: str,
) -> ModelVersion:
    """Make a verified version the champion, archiving the previous champion, in one transaction."""
    _require_reason(reason)
    target = get_version(connection, model_name, version)
    if target.alias == "champion":
        raise ValueError(
            f"{model_name} {version} is already the champion: nothing to promote. "
            "Promote another version, or roll back to the previous champion."
        )
    _read_verified(artifacts_dir / target.artifact_path, target.artifact_sha256)
    current = champion(connection, model_name)
    _swap_champion(connection, current, target, _Change("promote", reason, actor))
    return get_version(connection, model_name, version)


def rollback(
    connection: duckdb.DuckDBPyConnection,
    artifacts_dir: Path,
    model_name: str,
    *,
    reason: str,
    actor: str,
) -> ModelVersion:
    """Archive the champion and bring back the one it replaced (per the audit trail)."""
    _require_reason(reason)
    current = champion(connection, model_name)
    stack = _champion_stack(connection, model_name)
    if current is None or len(stack) < 2:
        raise ValueError(
            f"Model {model_name!r} has no earlier champion to roll back to: "
            "promote a version instead (`platform-assets models promote`)."
        )
    target = get_version(connection, model_name, stack[-2])
    _read_verified(artifacts_dir / target.artifact_path, target.artifact_sha256)
    _swap_champion(connection, current, target, _Change("rollback", reason, actor))
    return get_version(connection, model_name, target.version)


def _champion_stack(connection: duckdb.DuckDBPyConnection, model_name: str) -> list[str]:
    """Replay the audit trail: a promotion pushes a champion, a rollback pops the latest one."""
    stack: list[str] = []
    for event in alias_history(connection, model_name):
        if event.to_alias == "champion" and event.action == "promote":
            stack.append(event.version)
        elif event.to_alias == "champion" and event.action == "rollback":
            stack.pop()
    return stack


def _swap_champion(
    connection: duckdb.DuckDBPyConnection,
    current: ModelVersion | None,
    target: ModelVersion,
    change: _Change,
) -> None:
    with transaction(connection):
        if current is not None:
            _move_alias(
                connection, current.model_name, current.version, "champion", "archived", change
            )
        _move_alias(connection, target.model_name, target.version, target.alias, "champion", change)


def _move_alias(
    connection: duckdb.DuckDBPyConnection,
    model_name: str,
    version: str,
    from_alias: str | None,
    to_alias: str,
    change: _Change,
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
            _utc_now(),
        ],
    )


def _read_verified(path: Path, expected: str) -> bytes:
    """The file's bytes, only if their SHA-256 is the one recorded at registration."""
    pending = _pending_path(path)
    # Registered, then interrupted before publishing: finish the publication.
    with contextlib.suppress(FileNotFoundError):  # nothing pending, or another reader was first
        if not path.exists() and hashlib.sha256(pending.read_bytes()).hexdigest() == expected:
            _publish(pending, path)
    try:
        data = path.read_bytes()
        found = hashlib.sha256(data).hexdigest()
    except FileNotFoundError:
        data, found = b"", "(file missing)"
    if found != expected:
        raise ArtifactIntegrityError(
            f"Artifact {path} failed its integrity check.\n"
            f"  expected sha256: {expected}\n"
            f"  found sha256:    {found}\n"
            "It was changed or removed after registration and will not be loaded: retrain the "
            "model to register a new version, or roll back / promote another version."
        )
    return data


def _registry_exists(connection: duckdb.DuckDBPyConnection) -> bool:
    tables = connection.execute(
        "SELECT count(*) FROM duckdb_tables() "
        "WHERE schema_name = 'ml' AND table_name = 'model_alias_events'"
    ).fetchone()[0]
    return tables > 0


def _require_reason(reason: str) -> None:
    if not reason.strip():
        raise ValueError("A reason is required: say why the champion changes (--reason TEXT).")


def _to_json(value: dict[str, Any], what: str) -> str:
    try:
        return json.dumps(value, sort_keys=True)
    except TypeError as error:
        raise ValueError(
            f"The model's {what} must be JSON values (numbers, strings, lists, dicts): {error}. "
            "Convert them (e.g. numpy numbers with float()) before registering."
        ) from error


def _joblib_bytes(model: Any) -> bytes:
    import joblib

    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()


def _pending_path(final: Path) -> Path:
    """Where a file waits, hidden, until the row that records it is committed."""
    return final.with_name(f".{final.name}.pending")


def _write_pending(final: Path, data: bytes) -> Path:
    """Write bytes beside their final name, hidden, and force them to disk."""
    pending = _pending_path(final)
    with pending.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    return pending


def _finish_or_discard_pending(connection, folder: Path, model_name: str) -> None:
    """Clear what an interrupted registration left: publish pending files whose row was
    committed, delete the others, and delete version files no row records (so no artifact
    lacks a row). Only names the registry itself writes are touched.

    Runs inside the single-writer section (the registration holds the warehouse's write lock).
    """
    recorded = {
        Path(path).name: sha
        for pairs in connection.execute(
            "SELECT artifact_path, artifact_sha256, reference_sample_path, "
            "reference_sample_sha256 FROM ml.model_versions WHERE model_name = ?",
            [model_name],
        ).fetchall()
        for path, sha in (pairs[:2], pairs[2:])
        if path is not None
    }
    for path in folder.iterdir():
        pending = PENDING_FILE_PATTERN.fullmatch(path.name)
        if pending and pending[1] in recorded and not (folder / pending[1]).exists():
            # A damaged file is not published: the version stays refused at load, with its message.
            with contextlib.suppress(ArtifactIntegrityError):
                _read_verified(folder / pending[1], recorded[pending[1]])  # publishes it
        if pending:
            path.unlink(missing_ok=True)
        elif VERSION_FILE_PATTERN.fullmatch(path.name) and path.name not in recorded:
            path.unlink()


def _publish(temporary: Path, final: Path) -> None:
    """Atomically give a written file its final name and make the rename itself durable."""
    os.replace(temporary, final)
    folder = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _git_commit() -> str | None:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=REPOSITORY_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else None


def _package_versions() -> dict[str, str]:
    versions = {}
    for package in LINEAGE_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
