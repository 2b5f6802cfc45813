"""The monitoring schema: daily drift and performance per model, and every retraining decision.

`monitoring.drift` and `monitoring.performance` hold one row per model, day and metric; a
day is replaced as a whole. A row is `in_sample` when its day is inside the training window
of the version that scored it (on or before its `training_end`): such a day says nothing
about how the version does on unseen flights, so what monitoring shows and what the
retraining sensor reads leave it out. `monitoring.untested_columns` lists, per model and
day, the columns drift could not test and why. `monitoring.retraining_decisions` keeps every
decision the retraining sensors made, triggered or not, with its reason and numbers: a
sensor never opens the warehouse, so each monitoring run loads the decisions its model's
sensor appended to its file since (lib/monitoring/sensor_files.py).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import duckdb

from platform_assets.lib.warehouse import transaction

if TYPE_CHECKING:  # the retraining sensors import this module; they never build a frame
    import pandas as pd

METRIC_TABLES = ("drift", "performance")
DAILY_TABLES = (*METRIC_TABLES, "untested_columns")
DRIFT_SHARE = "drift_share"


def ensure_monitoring_schema(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the monitoring schema and its tables if they do not exist yet."""
    connection.execute("CREATE SCHEMA IF NOT EXISTS monitoring")
    for table in METRIC_TABLES:
        connection.execute(
            f"""
            CREATE TABLE IF NOT EXISTS monitoring.{table} (
                model_name VARCHAR, partition_date DATE, metric VARCHAR, value DOUBLE,
                model_version VARCHAR, "rows" BIGINT, computed_at TIMESTAMPTZ,
                in_sample BOOLEAN
            )
            """
        )
    connection.execute(
        """
        CREATE TABLE IF NOT EXISTS monitoring.untested_columns (
            model_name VARCHAR, partition_date DATE, model_version VARCHAR,
            column_name VARCHAR, reason VARCHAR, in_sample BOOLEAN, computed_at TIMESTAMPTZ
        )
        """
    )
    connection.execute(
        """
        CREATE TABLE IF NOT EXISTS monitoring.retraining_decisions (
            model_name VARCHAR, as_of DATE, triggered BOOLEAN, reason VARCHAR,
            numbers JSON, policy JSON, decided_at TIMESTAMPTZ
        )
        """
    )


def replace_daily_rows(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    model_name: str,
    first_day: date,
    last_day: date,
    rows: pd.DataFrame,
) -> None:
    """Replace one model's rows of days first..last in `monitoring.<table>`, in one transaction.

    `rows` has the table's columns but model_name and computed_at (for drift and
    performance: partition_date, metric, value, model_version, rows, in_sample).
    """
    if table not in DAILY_TABLES:
        raise ValueError(f"Unknown monitoring table {table!r}: one of {DAILY_TABLES}.")
    ensure_monitoring_schema(connection)
    with transaction(connection):
        connection.execute(
            f"DELETE FROM monitoring.{table} "
            "WHERE model_name = ? AND partition_date BETWEEN ? AND ?",
            [model_name, first_day, last_day],
        )
        connection.register("daily_metrics", rows)
        connection.execute(
            f"INSERT INTO monitoring.{table} BY NAME SELECT ? AS model_name, *, "
            "now() AS computed_at FROM daily_metrics",
            [model_name],
        )
        connection.unregister("daily_metrics")


def daily_values(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    model_name: str,
    metric: str,
    since: date | None = None,
    include_in_sample: bool = False,
) -> dict[date, float]:
    """One metric per day for a model (optionally from a day on).

    Days inside the scoring version's training window are left out unless asked for.
    """
    ensure_monitoring_schema(connection)
    rows = connection.execute(
        f"SELECT partition_date, value FROM monitoring.{table} "
        "WHERE model_name = ? AND metric = ? AND (? IS NULL OR partition_date >= ?) "
        "AND (? OR NOT in_sample) ORDER BY partition_date",
        [model_name, metric, since, since, include_in_sample],
    ).fetchall()
    return dict(rows)
