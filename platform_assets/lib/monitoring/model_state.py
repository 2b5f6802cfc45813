"""Gathering what the retraining decision needs about one model, from the warehouse only."""

from __future__ import annotations

from datetime import date

import duckdb

from platform_assets.lib.ml import registry
from platform_assets.lib.ml.features import FEATURE_TABLE
from platform_assets.lib.ml.spec import ModelSpec
from platform_assets.lib.monitoring.monitoring_store import (
    DRIFT_SHARE,
    daily_values,
    last_triggered_as_of,
)
from platform_assets.lib.monitoring.retraining_policy import ModelState
from platform_assets.lib.warehouse import quote_identifier, table_exists


def labelled_days(connection: duckdb.DuckDBPyConnection, label: str) -> tuple[int, date | None]:
    """How many days of the feature table have labelled flights, and the latest of them."""
    if not table_exists(connection, FEATURE_TABLE):
        return 0, None
    return connection.execute(
        f"SELECT count(DISTINCT flight_date), max(flight_date) FROM {FEATURE_TABLE} "
        f"WHERE {quote_identifier(label)} IS NOT NULL"
    ).fetchone()


def gather_model_state(
    connection: duckdb.DuckDBPyConnection, spec: ModelSpec, retrain_in_flight: bool
) -> ModelState:
    """The served champion, its monitoring since it was trained, and new labelled rows."""
    serving = registry.champion(connection, spec.name)
    if serving is None:
        # A first model needs spec.first_model_days of labelled days (a full window unless
        # models.yaml says fewer).
        days, latest = labelled_days(connection, spec.target)
        return ModelState(
            as_of=latest if days >= spec.first_model_days else None,
            champion_version=None,
            champion_validation_score=None,
            retrain_in_flight=retrain_in_flight,
        )
    drift = daily_values(connection, "drift", spec.name, DRIFT_SHARE, serving.version)
    performance = daily_values(
        connection, "performance", spec.name, spec.promotion.metric, serving.version
    )
    monitored = set(drift) | set(performance)
    new_rows = connection.execute(
        f"SELECT count(*) FROM {FEATURE_TABLE} "
        f'WHERE flight_date > ? AND "{spec.target}" IS NOT NULL',
        [serving.training_end],
    ).fetchone()[0]
    return ModelState(
        as_of=max(monitored) if monitored else None,
        champion_version=serving.version,
        # like for like: the mean daily metric on its held-out days, against recent days'
        # mean (versions registered before it was recorded have none: no drop is measured)
        champion_validation_score=serving.metrics.get(spec.promotion.mean_daily_key),
        drift_shares=drift,
        daily_performance=performance,
        labelled_rows_since_training=new_rows,
        last_retrain_as_of=last_triggered_as_of(connection, spec.name),
        retrain_in_flight=retrain_in_flight,
    )
