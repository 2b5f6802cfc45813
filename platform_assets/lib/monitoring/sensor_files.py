"""What the retraining sensors read and write: small files under `monitoring/`, never the warehouse.

DuckDB refuses a writing process while any other process has the warehouse open, read-only
included, and the sensors tick outside the writer pool: a sensor that opened the warehouse
would make the platform's runs wait for it, and would itself find the file busy while a run
writes. So the steps that hold the warehouse publish what a sensor needs, each file written
atomically, and a sensor appends its decisions to a file of its own:

- `monitoring/labelled_days.json`: labelled flights per day and label column, published by
  the feature table's dbt run (a first model waits for enough labelled days; retraining
  counts the labelled rows since the champion's window), after it has published again any
  champion manifest that was missing or stale;
- `monitoring/<model>/daily_metrics.json`: each day's drift share and performance metrics
  out of sample, with the version that scored it, published by the model's monitoring run
  after its rows commit;
- `monitoring/<model>/retraining_decisions.jsonl`: every decision of the model's sensor,
  triggered or not, one JSON line each; the cooldown reads it, and each monitoring run loads
  the lines not yet in `monitoring.retraining_decisions`, where a reader of the warehouse
  finds them.

The champion comes from its manifest beside the artifacts (lib/ml/champion_manifest.py).
A crash between a run's commit and its publish leaves a file one run behind: the next run of
the same step publishes it whole again.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from platform_assets.lib.atomic_files import write_atomically
from platform_assets.lib.monitoring.monitoring_store import DRIFT_SHARE, ensure_monitoring_schema
from platform_assets.lib.warehouse import quote_identifier

if TYPE_CHECKING:  # the sensors import this module; only the publishing steps use DuckDB
    import duckdb

    from platform_assets.lib.ml.spec import ModelSpec, RetrainingPolicy
    from platform_assets.lib.monitoring.retraining_policy import RetrainingDecision

LABELLED_DAYS_FILE = "labelled_days.json"
DAILY_METRICS_FILE = "daily_metrics.json"
DECISIONS_FILE = "retraining_decisions.jsonl"
logger = logging.getLogger("platform_assets")
_warned_lines: set[tuple[Path, int]] = set()


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}


def _write_json(path: Path, document: dict) -> Path:
    write_atomically(path, json.dumps(document, indent=1, sort_keys=True).encode())
    return path


def publish_labelled_days(
    connection: duckdb.DuckDBPyConnection, monitoring_dir: Path, table: str, labels: list[str]
) -> Path:
    """Count the labelled flights of every day of the feature table, per label column."""
    counts = ", ".join(f"count({quote_identifier(label)})" for label in labels)
    rows = connection.execute(
        f"SELECT flight_date, {counts} FROM {table} GROUP BY flight_date ORDER BY flight_date"
    ).fetchall()
    document: dict[str, dict[str, int]] = {label: {} for label in labels}
    for day, *per_label in rows:
        for label, count in zip(labels, per_label, strict=True):
            if count:
                document[label][day.isoformat()] = count
    return _write_json(monitoring_dir / LABELLED_DAYS_FILE, document)


def refresh_champion_manifests(connection: duckdb.DuckDBPyConnection, artifacts: Path) -> list[str]:
    """Publish again each champion manifest that does not describe its registry row; returns
    the models whose manifest it wrote. A sensor takes a missing manifest for "no champion
    yet" and would train a first model: one missing (a data root older than manifests, a crash
    after a promotion committed) must not last until the day's predictions run."""
    from platform_assets.lib.ml import registry
    from platform_assets.lib.ml.champion_manifest import refresh_champion_manifest

    return [
        version.model_name
        for version in registry.list_versions(connection)
        if version.alias == "champion" and refresh_champion_manifest(artifacts, version)
    ]


def read_labelled_days(monitoring_dir: Path, label: str) -> dict[date, int]:
    """Labelled flights per day of one label column (days without any are absent)."""
    counts = _read_json(monitoring_dir / LABELLED_DAYS_FILE).get(label, {})
    return {date.fromisoformat(day): count for day, count in counts.items()}


def publish_daily_metrics(
    connection: duckdb.DuckDBPyConnection, monitoring_dir: Path, spec: ModelSpec
) -> Path:
    """Write the model's out-of-sample days of the drift share and of every metric of its
    task (a reload may change which one the policy judges by), each with the version that
    scored it."""
    tables = {DRIFT_SHARE: "drift", **dict.fromkeys(spec.metrics, "performance")}
    document = {
        metric: [
            [day.isoformat(), version, value]
            for day, version, value in connection.execute(
                f"SELECT partition_date, model_version, value FROM monitoring.{table} "
                "WHERE model_name = ? AND metric = ? AND NOT in_sample ORDER BY partition_date",
                [spec.name, metric],
            ).fetchall()
        ]
        for metric, table in tables.items()
    }
    return _write_json(monitoring_dir / spec.name / DAILY_METRICS_FILE, document)


def read_daily_metric(
    monitoring_dir: Path, model_name: str, metric: str, version: str
) -> dict[date, float]:
    """One metric per day out of sample, of the days this version scored."""
    rows = _read_json(monitoring_dir / model_name / DAILY_METRICS_FILE).get(metric, [])
    return {date.fromisoformat(day): value for day, by, value in rows if by == version}


def append_decision(
    monitoring_dir: Path,
    model_name: str,
    decision: RetrainingDecision,
    policy: RetrainingPolicy,
) -> None:
    """Append one decision as a line; a line a crash cut short is closed first, so only it
    is lost."""
    record = _record(
        model_name,
        decision.numbers.get("as_of"),
        decision.triggered,
        decision.reason,
        decision.numbers,
        asdict(policy),
        datetime.now(UTC).isoformat(),
    )
    path = monitoring_dir / model_name / DECISIONS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record).encode() + b"\n"
    with path.open("a+b") as decisions:  # opened at its end; writes always go there
        if decisions.tell():
            decisions.seek(-1, os.SEEK_END)
            if decisions.read(1) != b"\n":
                line = b"\n" + line
        decisions.write(line)
        decisions.flush()
        os.fsync(decisions.fileno())


def read_decisions(monitoring_dir: Path, model_name: str) -> list[dict]:
    """The model's decisions, oldest first; a line a crash cut short is skipped and logged."""
    path = monitoring_dir / model_name / DECISIONS_FILE
    if not path.exists():
        return []
    decisions = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        try:
            decisions.append(json.loads(line))
        except json.JSONDecodeError:
            if (path, number) not in _warned_lines:  # once per process, not at every tick
                _warned_lines.add((path, number))
                logger.warning("%s line %d is not a whole decision: skipped", path, number)
    return decisions


def last_triggered_as_of(monitoring_dir: Path, model_name: str) -> date | None:
    """The monitored day of the model's latest triggered retrain, for the cooldown."""
    days = [
        date.fromisoformat(d["as_of"])
        for d in read_decisions(monitoring_dir, model_name)
        if d["triggered"] and d["as_of"]
    ]
    return max(days, default=None)


def _record(model_name, as_of, triggered, reason, numbers, policy, decided_at) -> dict:
    return {
        "model_name": model_name,
        "as_of": as_of,
        "triggered": triggered,
        "reason": reason,
        "numbers": numbers,
        "policy": policy,
        "decided_at": decided_at,
    }


def load_decisions(
    connection: duckdb.DuckDBPyConnection, monitoring_dir: Path, model_name: str
) -> int:
    """Insert the decisions not yet in `monitoring.retraining_decisions` (a decision is known
    by its model and moment); returns how many were new.

    A warehouse whose decisions were recorded before the sensors had files (an upgrade) gives
    them to a new file first, so the cooldown and Page-Hinkley's restart keep counting from the
    last retrain.
    """
    ensure_monitoring_schema(connection)
    recorded = connection.execute(
        "SELECT as_of, triggered, reason, numbers, policy, decided_at "
        "FROM monitoring.retraining_decisions WHERE model_name = ? ORDER BY decided_at",
        [model_name],
    ).fetchall()
    path = monitoring_dir / model_name / DECISIONS_FILE
    if recorded and not path.exists():
        lines = [
            json.dumps(
                _record(
                    model_name,
                    as_of and as_of.isoformat(),
                    triggered,
                    reason,
                    json.loads(numbers),
                    json.loads(policy),
                    decided_at.isoformat(),
                )
            )
            for as_of, triggered, reason, numbers, policy, decided_at in recorded
        ]
        write_atomically(path, "".join(f"{line}\n" for line in lines).encode())
    loaded = {row[-1] for row in recorded}
    new = [
        d
        for d in read_decisions(monitoring_dir, model_name)
        if datetime.fromisoformat(d["decided_at"]) not in loaded
    ]
    if not new:
        return 0
    connection.executemany(
        "INSERT INTO monitoring.retraining_decisions VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            [
                model_name,
                d["as_of"],
                d["triggered"],
                d["reason"],
                json.dumps(d["numbers"]),
                json.dumps(d["policy"]),
                datetime.fromisoformat(d["decided_at"]),
            ]
            for d in new
        ],
    )
    return len(new)
