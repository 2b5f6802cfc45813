"""The model registry: every trained model version, its artifact, its lineage and its alias.

Each version is a row of `ml.model_versions` in the warehouse and a joblib file (plus, if given,
a parquet reference sample) under `<artifacts>/<model_name>/`. Paths are stored relative to the
artifacts folder, so the data root can move. Files are written atomically and their SHA-256 is
checked before anything is unpickled (`artifacts.py`). Aliases move only through
`register_version` here and `promote` and `rollback` (`champion_alias.py`), and every move is
written to the audit table `ml.model_alias_events` in the same transaction
(`registry_tables.py`). Functions take the caller's open (single-writer) DuckDB connection.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from platform_assets.lib.ml.artifacts import (
    joblib_bytes,
    publish,
    read_verified,
    settle_pending_files,
    write_pending,
)
from platform_assets.lib.ml.lineage import git_commit, package_versions
from platform_assets.lib.ml.registry_tables import (
    EVENT_COLUMNS_SQL,
    JSON_FIELDS,
    VERSION_COLUMNS_SQL,
    VERSION_FIELDS,
    AliasChange,
    AliasEvent,
    ModelVersion,
    ensure_registry_schema,
    move_alias,
    registry_exists,
    utc_now,
)
from platform_assets.lib.warehouse import transaction

if TYPE_CHECKING:  # pandas and joblib load inside the functions: sensors import this module
    import pandas as pd

MODEL_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
logger = logging.getLogger(__name__)  # shown in Dagster's run logs (dagster.yaml python_logs)


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
        "package_versions": json.dumps(package_versions(), sort_keys=True),
        "git_commit": git_commit(),
    }
    ensure_registry_schema(connection)
    folder = artifacts_dir / model_name
    folder.mkdir(parents=True, exist_ok=True)
    moved = settle_pending_files(folder, _recorded_files(connection, model_name))
    for name, path in moved.items():
        logger.warning(
            "%s matches no version the registry records for %s (a rebuilt or replaced "
            "warehouse?): it was moved to %s, not deleted. Keep it, or delete it once you are "
            "sure no one needs it.",
            name,
            model_name,
            path,
        )
    try:
        with transaction(connection):
            number = connection.execute(
                "SELECT coalesce(max(version_number), 0) + 1 FROM ml.model_versions "
                "WHERE model_name = ?",
                [model_name],
            ).fetchone()[0]
            version = f"v{number}"
            payloads = {f"{version}.joblib": joblib_bytes(model)}
            if reference_sample is not None:
                payloads[f"{version}.reference.parquet"] = reference_sample.to_parquet(index=False)
            hashes = {name: hashlib.sha256(data).hexdigest() for name, data in payloads.items()}
            pending = {name: write_pending(folder / name, data) for name, data in payloads.items()}
            reference = f"{version}.reference.parquet" if reference_sample is not None else None
            row |= {
                "model_name": model_name,
                "version": version,
                "version_number": number,
                "created_at": utc_now(),
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
                change = AliasChange("register", f"superseded by {version}", actor)
                move_alias(connection, model_name, older, "candidate", "archived", change)
            trained = f"trained on {training_start}..{training_end}, {row_count} rows"
            registered = AliasChange("register", trained, actor)
            move_alias(connection, model_name, version, None, "candidate", registered)
    except BaseException:
        # An interrupt can land after COMMIT: the rows, not this path, say what to keep.
        settle_pending_files(folder, _recorded_files(connection, model_name))
        raise
    # The committed row is the commit point. A crash from here on leaves pending files that
    # the next registration or load publishes (their hashes are in the row).
    for name, path in pending.items():
        publish(path, folder / name)
    return get_version(connection, model_name, version)


def list_versions(
    connection: duckdb.DuckDBPyConnection, model_name: str | None = None
) -> list[ModelVersion]:
    """Every recorded version (of one model, if named), oldest first; empty before any training."""
    if not registry_exists(connection):
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


def registered_by(
    connection: duckdb.DuckDBPyConnection, model_name: str, actor: str
) -> ModelVersion | None:
    """The newest version a given actor (a Dagster run) registered, or None."""
    if not registry_exists(connection):
        return None
    found = connection.execute(
        "SELECT version FROM ml.model_alias_events WHERE model_name = ? AND action = 'register' "
        "AND to_alias = 'candidate' AND actor = ? ORDER BY event_id DESC LIMIT 1",
        [model_name, actor],
    ).fetchone()
    return get_version(connection, model_name, found[0]) if found else None


def alias_history(connection: duckdb.DuckDBPyConnection, model_name: str) -> list[AliasEvent]:
    """The audit trail of one model's alias moves, oldest first."""
    if not registry_exists(connection):
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
    data = read_verified(artifacts_dir / record.artifact_path, record.artifact_sha256)
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
    data = read_verified(path, record.reference_sample_sha256)
    import pandas as pd

    return pd.read_parquet(io.BytesIO(data))


def _recorded_files(connection: duckdb.DuckDBPyConnection, model_name: str) -> dict[str, str]:
    """The file names the model's rows record, with their SHA-256."""
    return {
        Path(path).name: sha
        for pairs in connection.execute(
            "SELECT artifact_path, artifact_sha256, reference_sample_path, "
            "reference_sample_sha256 FROM ml.model_versions WHERE model_name = ?",
            [model_name],
        ).fetchall()
        for path, sha in (pairs[:2], pairs[2:])
        if path is not None
    }


def _to_json(value: dict[str, Any], what: str) -> str:
    try:
        return json.dumps(value, sort_keys=True)
    except TypeError as error:
        raise ValueError(
            f"The model's {what} must be JSON values (numbers, strings, lists, dicts): {error}. "
            "Convert them (e.g. numpy numbers with float()) before registering."
        ) from error
