"""B6: one retraining sensor evaluation against a year of monitoring history.

Adds 365 days of drift and performance rows for the registered champion and publishes them
for the sensor as monitoring does, then times the sensor function itself (in process, as
the daemon's code server runs it), median of runs.
"""

import statistics
import sys
import time
from datetime import date, timedelta

import dagster as dg
import pandas as pd
from platform_instance import platform_instance

from platform_assets.defs.automation.retraining_sensors import build_retraining_sensor
from platform_assets.lib.ml import champion_alias, registry
from platform_assets.lib.ml.spec import load_model_specs
from platform_assets.lib.monitoring.monitoring_store import replace_daily_rows
from platform_assets.lib.monitoring.sensor_files import publish_daily_metrics
from platform_assets.lib.paths import DataPaths
from platform_assets.lib.warehouse import connect

RUNS = 15


def add_monitoring_year(paths: DataPaths, model_name: str) -> None:
    days = [date(2013, 1, 1) + timedelta(days=i) for i in range(365)]
    with connect(paths.warehouse) as connection:
        serving = registry.champion(connection, model_name)
        if serving is None:  # the B7 run registered candidates: serve the latest
            latest = max(
                registry.list_versions(connection, model_name), key=lambda v: v.version_number
            )
            serving = champion_alias.promote(
                connection,
                paths.artifacts,
                model_name,
                latest.version,
                reason="benchmark",
                actor="bench",
            )
        version = serving.version
        drift = pd.DataFrame(
            [(d, f"column:c{i}", 0.05, version, 900, False) for d in days for i in range(30)]
            + [(d, "drift_share", 0.2, version, 900, False) for d in days],
            columns=["partition_date", "metric", "value", "model_version", "rows", "in_sample"],
        )
        performance = pd.DataFrame(
            [
                (d, m, 0.7, version, 900, False)
                for d in days
                for m in ("roc_auc", "pr_auc", "log_loss")
            ],
            columns=drift.columns,
        )
        replace_daily_rows(connection, "drift", model_name, days[0], days[-1], drift)
        replace_daily_rows(connection, "performance", model_name, days[0], days[-1], performance)
        # what the sensor reads instead of the warehouse, as the monitoring run publishes it
        publish_daily_metrics(connection, paths.monitoring, load_model_specs()[model_name])


if __name__ == "__main__":
    paths = DataPaths.from_env()
    model = sys.argv[1]
    add_monitoring_year(paths, model)
    sensor = build_retraining_sensor(load_model_specs()[model])
    timings = []
    with platform_instance() as instance:
        for _ in range(RUNS):
            started = time.perf_counter()
            sensor(dg.build_sensor_context(instance=instance))
            timings.append(time.perf_counter() - started)
    print(f"{statistics.median(timings):.4f}")
