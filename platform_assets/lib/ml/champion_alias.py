"""Who serves: promotion and rollback of a model's champion alias, each in one transaction.

A version is promoted only after its artifact passed verification; a rollback brings back
the champion the current one replaced, as the audit trail records it. Both publish the
champion manifest (`champion_manifest.py`) once their transaction has committed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from platform_assets.lib.ml.artifacts import read_verified
from platform_assets.lib.ml.champion_manifest import publish_champion_manifest
from platform_assets.lib.ml.registry import alias_history, champion, get_version
from platform_assets.lib.ml.registry_tables import AliasChange, ModelVersion, move_alias
from platform_assets.lib.warehouse import transaction


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
    read_verified(artifacts_dir / target.artifact_path, target.artifact_sha256)
    _swap_champion(connection, target, AliasChange("promote", reason, actor))
    promoted = get_version(connection, model_name, version)
    publish_champion_manifest(artifacts_dir, promoted)
    return promoted


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
    read_verified(artifacts_dir / target.artifact_path, target.artifact_sha256)
    _swap_champion(connection, target, AliasChange("rollback", reason, actor))
    restored = get_version(connection, model_name, target.version)
    publish_champion_manifest(artifacts_dir, restored)
    return restored


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
    connection: duckdb.DuckDBPyConnection, target: ModelVersion, change: AliasChange
) -> None:
    """Archive whatever is champion now and make the target champion, in one transaction.

    The champion is read inside the transaction, not before it: a promotion that committed in
    between (another process, another connection) is archived too, never left beside the new
    one. Two promotions that overlap conflict in DuckDB and one of them fails whole.
    """
    name = target.model_name
    with transaction(connection):
        serving = connection.execute(
            "SELECT version FROM ml.model_versions WHERE model_name = ? AND alias = 'champion'",
            [name],
        ).fetchall()
        for (version,) in serving:
            move_alias(connection, name, version, "champion", "archived", change)
        move_alias(connection, name, target.version, target.alias, "champion", change)


def _require_reason(reason: str) -> None:
    if not reason.strip():
        raise ValueError("A reason is required: say why the champion changes (--reason TEXT).")
