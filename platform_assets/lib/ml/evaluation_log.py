"""`ml.model_evaluations`: every comparison of a candidate with the champion, and its verdict.

Promotion reads the verdict from here, never from a guess: the champion changes only for a
candidate whose latest evaluation passed the gate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import duckdb

from platform_assets.lib.warehouse import table_exists


@dataclass(frozen=True)
class Evaluation:
    """One candidate scored against the champion on the same held-out days."""

    model_name: str
    candidate_version: str
    champion_version: str | None
    window_start: date
    window_end: date
    rows: int
    candidate_metrics: dict[str, float]
    champion_metrics: dict[str, float] | None
    gate_passed: bool
    reason: str
    card_sha256: str | None = None  # of the model card kept beside the version's artifact
    # the candidate's own mean daily metrics on the held-out days with their day-block
    # intervals ({"daily": {metric: {mean, low, high, days}}}) and its permutation importance
    # there ({"importance": [[feature or view, drop], ...]}, most important first): what its
    # monitoring dashboard shows as the band and the features to watch
    held_out: dict | None = None


def ensure_evaluation_log(connection: duckdb.DuckDBPyConnection) -> None:
    """Create `ml.model_evaluations` if it does not exist yet."""
    connection.execute("CREATE SCHEMA IF NOT EXISTS ml")
    connection.execute(
        """
        CREATE TABLE IF NOT EXISTS ml.model_evaluations (
            model_name VARCHAR, candidate_version VARCHAR, champion_version VARCHAR,
            window_start DATE, window_end DATE, "rows" BIGINT,
            candidate_metrics JSON, champion_metrics JSON,
            gate_passed BOOLEAN, reason VARCHAR, evaluated_at TIMESTAMPTZ,
            card_sha256 VARCHAR, held_out JSON
        )
        """
    )


def record_evaluation(connection: duckdb.DuckDBPyConnection, evaluation: Evaluation) -> None:
    """Append one evaluation (the log keeps every verdict)."""
    ensure_evaluation_log(connection)
    connection.execute(
        "INSERT INTO ml.model_evaluations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?, ?)",
        [
            evaluation.model_name,
            evaluation.candidate_version,
            evaluation.champion_version,
            evaluation.window_start,
            evaluation.window_end,
            evaluation.rows,
            json.dumps(evaluation.candidate_metrics),
            json.dumps(evaluation.champion_metrics) if evaluation.champion_metrics else None,
            evaluation.gate_passed,
            evaluation.reason,
            evaluation.card_sha256,
            json.dumps(evaluation.held_out) if evaluation.held_out else None,
        ],
    )


def latest_evaluation(
    connection: duckdb.DuckDBPyConnection, model_name: str, candidate_version: str
) -> Evaluation | None:
    """The most recent verdict on this candidate, if it was evaluated."""
    ensure_evaluation_log(connection)
    row = connection.execute(
        """
        SELECT model_name, candidate_version, champion_version, window_start, window_end,
               "rows", candidate_metrics, champion_metrics, gate_passed, reason, card_sha256,
               held_out
        FROM ml.model_evaluations
        WHERE model_name = ? AND candidate_version = ?
        ORDER BY evaluated_at DESC LIMIT 1
        """,
        [model_name, candidate_version],
    ).fetchone()
    if row is None:
        return None
    *head, candidate_metrics, champion_metrics, passed, reason, card_sha256, held_out = row
    return Evaluation(
        *head,
        candidate_metrics=json.loads(candidate_metrics),
        champion_metrics=json.loads(champion_metrics) if champion_metrics else None,
        gate_passed=passed,
        reason=reason,
        card_sha256=card_sha256,
        held_out=json.loads(held_out) if held_out else None,
    )


def kept_card_sha256(
    connection: duckdb.DuckDBPyConnection, model_name: str, version: str
) -> str | None:
    """The SHA-256 of the model card the version's latest evaluation kept beside it, or None
    (never evaluated, or evaluated before cards were kept). Reads only, so a read-only
    connection will do, on a warehouse not yet migrated too."""
    if not table_exists(connection, "ml.model_evaluations"):
        return None
    latest = connection.execute(
        "SELECT * FROM ml.model_evaluations WHERE model_name = ? AND candidate_version = ? "
        "ORDER BY evaluated_at DESC LIMIT 1",
        [model_name, version],
    )
    row = latest.fetchone()
    names = [column[0] for column in latest.description]
    return dict(zip(names, row, strict=True)).get("card_sha256") if row else None
