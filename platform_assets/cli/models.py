"""`platform-assets models ...`: list, inspect, promote and roll back registered model versions.

Reading commands open the warehouse read-only; promote and rollback take the single writer
lock. While a pipeline step holds the warehouse they wait a few seconds, then refuse.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import duckdb

from platform_assets.lib.ml import champion_alias, registry
from platform_assets.lib.ml.artifacts import model_card_path
from platform_assets.lib.ml.evaluation_log import kept_card_sha256
from platform_assets.lib.paths import DataPaths
from platform_assets.lib.warehouse import connect


def add_models_commands(commands: argparse._SubParsersAction) -> None:
    """Add `models list|show|promote|rollback` to the main `platform-assets` parser."""
    models = commands.add_parser(
        "models",
        help="list, inspect, promote and roll back registered model versions",
        description="The model registry: versions recorded in the warehouse table "
        "ml.model_versions, their artifacts under PLATFORM_DATA_DIR/artifacts, and the "
        "audit trail of every alias change.",
    )
    actions = models.add_subparsers(dest="models_command", required=True)

    list_parser = actions.add_parser("list", help="list model versions and their aliases")
    list_parser.add_argument("--model", help="only this model's versions")
    list_parser.set_defaults(handler=_list)

    show_parser = actions.add_parser("show", help="every recorded field of one version")
    show_parser.add_argument("name")
    show_parser.add_argument("version", help="e.g. v3")
    show_parser.set_defaults(handler=_show)

    promote_parser = actions.add_parser(
        "promote", help="make a version the champion (its artifact hash is checked first)"
    )
    promote_parser.add_argument("name")
    promote_parser.add_argument("version", help="e.g. v3")
    promote_parser.add_argument("--reason", required=True, help="why (kept in the audit trail)")
    promote_parser.set_defaults(handler=_promote)

    rollback_parser = actions.add_parser(
        "rollback", help="bring back the champion that the current champion replaced"
    )
    rollback_parser.add_argument("name")
    rollback_parser.add_argument("--reason", required=True, help="why (kept in the audit trail)")
    rollback_parser.set_defaults(handler=_rollback)


CLI_LOCK_WAIT_SECONDS = 3.0


@contextmanager
def _open_warehouse(*, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse, turning a missing file into a clear error (a held lock is one too)."""
    path = DataPaths.from_env().warehouse
    if not path.exists():
        raise ValueError(
            f"The warehouse {path} does not exist yet, so no model is registered: "
            "run the pipeline (ingest, dbt, training) first."
        )
    with connect(path, read_only=read_only, wait_seconds=CLI_LOCK_WAIT_SECONDS) as connection:
        yield connection


def _list(arguments: argparse.Namespace) -> int:
    with _open_warehouse(read_only=True) as connection:
        versions = registry.list_versions(connection, arguments.model)
    if not versions:
        scope = f"for model {arguments.model!r}" if arguments.model else "yet"
        print(f"No model versions registered {scope}.")
        return 0
    _print_table(
        ["model", "version", "alias", "created_at (UTC)", "training window", "rows", "metrics"],
        [
            [
                v.model_name,
                v.version,
                v.alias,
                f"{v.created_at:%Y-%m-%d %H:%M:%S}",
                f"{v.training_start} .. {v.training_end}",
                str(v.row_count),
                ", ".join(f"{name}={_short(value)}" for name, value in v.metrics.items()),
            ]
            for v in versions
        ],
    )
    return 0


def _show(arguments: argparse.Namespace) -> int:
    with _open_warehouse(read_only=True) as connection:
        version = registry.get_version(connection, arguments.name, arguments.version)
        events = registry.alias_history(connection, arguments.name)
        card_sha256 = kept_card_sha256(connection, arguments.name, arguments.version)
    for name, value in vars(version).items():
        shown = json.dumps(value, sort_keys=True) if isinstance(value, dict) else value
        print(f"{name + ':':<25}{'-' if shown is None else shown}")
    print("\nAlias history:")
    _print_table(
        ["at (UTC)", "version", "action", "from", "to", "actor", "reason"],
        [
            [
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                e.version,
                e.action,
                e.from_alias or "-",
                e.to_alias,
                e.actor,
                e.reason,
            ]
            for e in events
        ],
    )
    return _print_card(version, card_sha256)


def _print_card(version, expected_sha256: str | None) -> int:
    """Print the model card kept beside the version, if its bytes are the ones recorded."""
    path = model_card_path(DataPaths.from_env().artifacts, version.model_name, version.version)
    if expected_sha256 is None:
        print("\nNo model card is kept for this version: it was not evaluated since cards are.")
        return 0
    data = path.read_bytes() if path.exists() else b""
    if hashlib.sha256(data).hexdigest() != expected_sha256:
        print(
            f"\nThe model card {path} is missing or was changed after its evaluation wrote it "
            f"(recorded sha256 {expected_sha256}): materialize the version's evaluation again "
            "to write it anew.",
            file=sys.stderr,
        )
        return 1
    print(f"\nModel card ({path}):\n")
    print(data.decode("utf-8"), end="")
    return 0


def _promote(arguments: argparse.Namespace) -> int:
    with _open_warehouse(read_only=False) as connection:
        previous = registry.champion(connection, arguments.name)
        promoted = champion_alias.promote(
            connection,
            DataPaths.from_env().artifacts,
            arguments.name,
            arguments.version,
            reason=arguments.reason,
            actor=_actor(),
        )
    replaced = f" (was {previous.version}, now archived)" if previous else ""
    print(f"{promoted.model_name} {promoted.version} is now the champion{replaced}.")
    return 0


def _rollback(arguments: argparse.Namespace) -> int:
    with _open_warehouse(read_only=False) as connection:
        previous = registry.champion(connection, arguments.name)
        restored = champion_alias.rollback(
            connection,
            DataPaths.from_env().artifacts,
            arguments.name,
            reason=arguments.reason,
            actor=_actor(),
        )
    print(
        f"Rolled back {restored.model_name}: {restored.version} is the champion again "
        f"({previous.version} archived)."
    )
    return 0


def _actor() -> str:
    """Who ran the command, for the audit trail."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _short(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    for line in [headers, ["-" * width for width in widths], *rows]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
