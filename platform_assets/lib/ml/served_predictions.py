"""`ml.served_predictions`: what the prediction service served, and its skew from the batch.

The service appends each prediction to a log file of its own process (serving/
prediction_log.py); `load_served_predictions` loads the lines of some flight days from every
log file, replacing what was loaded for those days before (loading a day twice never doubles
it). A line cut short by a crash is not JSON and is skipped.

Train/serve skew is measured on the served predictions made at the flight's batch prediction
time (its scheduled departure less the version's lead, to the minute): there the service and
the batch ought to see the same features, so their scores of the same flight and version
ought to agree. A prediction asked at another time is counted, not compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from platform_assets.lib.ml.predictions import ensure_predictions_table
from platform_assets.lib.warehouse import transaction

TABLE = "ml.served_predictions"


def ensure_served_predictions_table(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("CREATE SCHEMA IF NOT EXISTS ml")
    connection.execute(
        f"""
        CREATE TABLE IF NOT EXISTS {TABLE} (
            model_name VARCHAR, model_version VARCHAR, flight_id VARCHAR, flight_date DATE,
            scheduled_departure TIMESTAMPTZ, prediction_time TIMESTAMPTZ,
            lead_minutes INTEGER, score DOUBLE, features JSON, log_file VARCHAR
        )
        """
    )


def load_served_predictions(
    connection: duckdb.DuckDBPyConnection, folder: Path, model: str, first: date, last: date
) -> int:
    """Load one model's served predictions of flight days first..last from the log files in
    `folder`; returns how many rows those days now hold."""
    ensure_served_predictions_table(connection)
    files = sorted(str(p) for p in folder.glob("*.jsonl")) if folder.exists() else []
    with transaction(connection):
        connection.execute(
            f"DELETE FROM {TABLE} WHERE model_name = ? AND flight_date BETWEEN ? AND ?",
            [model, first, last],
        )
        if files:
            connection.execute(
                f"""
                INSERT INTO {TABLE}
                SELECT model, version, flight_id, flight_date, scheduled_departure,
                       prediction_time, lead_minutes, prediction, to_json(features), filename
                FROM read_json(?, format = 'newline_delimited', ignore_errors = true,
                               filename = true, columns = {{
                    model: 'VARCHAR', version: 'VARCHAR', flight_id: 'VARCHAR',
                    flight_date: 'DATE', scheduled_departure: 'TIMESTAMPTZ',
                    prediction_time: 'TIMESTAMPTZ', lead_minutes: 'INTEGER',
                    prediction: 'DOUBLE', features: 'JSON'}})
                WHERE model = ? AND flight_date BETWEEN ? AND ?
                """,
                [files, model, first, last],
            )
    return connection.execute(
        f"SELECT count(*) FROM {TABLE} WHERE model_name = ? AND flight_date BETWEEN ? AND ?",
        [model, first, last],
    ).fetchone()[0]


@dataclass(frozen=True)
class DaySkew:
    """One model's served predictions of one flight day against the batch's."""

    flight_date: date
    served: int  # served predictions of the day
    compared: int  # of those, made at the batch prediction time with a batch score to match
    max_difference: float | None
    mean_difference: float | None


def serving_skew(
    connection: duckdb.DuckDBPyConnection, model: str, first: date, last: date
) -> list[DaySkew]:
    """Per flight day with served predictions, how far they are from the batch's scores of the
    same flights by the same version (`ml.predictions`)."""
    ensure_served_predictions_table(connection)
    ensure_predictions_table(connection)
    rows = connection.execute(
        f"""
        SELECT served.flight_date, count(*),
               count(batch.score),
               max(abs(served.score - batch.score)),
               avg(abs(served.score - batch.score))
        FROM {TABLE} AS served
        LEFT JOIN ml.predictions AS batch
            ON  batch.model_name = served.model_name
            AND batch.flight_id = served.flight_id
            AND batch.model_version = served.model_version
            AND date_trunc('minute', served.prediction_time)
                = served.scheduled_departure - to_minutes(served.lead_minutes)
        WHERE served.model_name = ? AND served.flight_date BETWEEN ? AND ?
        GROUP BY served.flight_date ORDER BY served.flight_date
        """,
        [model, first, last],
    ).fetchall()
    return [DaySkew(*row) for row in rows]
