"""`ml.predictions`: each day's flights scored by the champion that served that day.

Days are written as a whole in one transaction, replacing what that model wrote for them
before: scoring a day twice never leaves two sets of rows.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from platform_assets.lib.warehouse import transaction


def ensure_predictions_table(connection: duckdb.DuckDBPyConnection) -> None:
    """Create `ml.predictions` if it does not exist yet."""
    connection.execute("CREATE SCHEMA IF NOT EXISTS ml")
    connection.execute(
        """
        CREATE TABLE IF NOT EXISTS ml.predictions (
            model_name VARCHAR, partition_date DATE, flight_id VARCHAR,
            model_version VARCHAR, score DOUBLE, predicted_at TIMESTAMPTZ
        )
        """
    )


def replace_predictions(
    connection: duckdb.DuckDBPyConnection,
    model_name: str,
    first_day: date,
    last_day: date,
    model_version: str,
    scored: pd.DataFrame,
) -> int:
    """Write one model's scores for days first..last, replacing everything it wrote for them.

    `scored` has columns flight_id, partition_date and score; a day without rows is emptied.
    """
    ensure_predictions_table(connection)
    with transaction(connection):
        connection.execute(
            "DELETE FROM ml.predictions WHERE model_name = ? AND partition_date BETWEEN ? AND ?",
            [model_name, first_day, last_day],
        )
        connection.register("scored_flights", scored)
        connection.execute(
            "INSERT INTO ml.predictions SELECT ?, partition_date, flight_id, ?, score, "
            "now() FROM scored_flights",
            [model_name, model_version],
        )
        connection.unregister("scored_flights")
    return len(scored)
