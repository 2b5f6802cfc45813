"""A model's daily monitoring as a Dagster asset: one partition per day, after its predictions.

The computation (drift, prediction drift, performance, each day's Evidently snapshot) is
`lib/monitoring/daily_monitoring.py`; this module declares the asset and its metadata.
"""

import time
from datetime import date

import dagster as dg

from platform_assets.defs.automation.conditions import follows_new_days
from platform_assets.defs.ml.model_keys import CHAMPION, PREDICTIONS, model_asset_key
from platform_assets.defs.partitions import day_chunks, partition_days
from platform_assets.defs.resources import WAREHOUSE_WRITER_POOL, PlatformData
from platform_assets.lib.ml.spec import ModelSpec
from platform_assets.lib.warehouse import connect

MONITORING_CODE_VERSION = "2"
MONITORING_GROUP = "monitoring"


def build_monitoring_asset(
    spec: ModelSpec, partitions: dg.PartitionsDefinition
) -> dg.AssetsDefinition:
    predictions_key = model_asset_key(spec.name, PREDICTIONS)

    @dg.asset(
        key=["monitoring", spec.name],
        deps=[predictions_key],
        group_name=MONITORING_GROUP,
        kinds={"python", "evidently", "duckdb"},
        description=f"Daily monitoring of '{spec.name}': feature drift against the serving "
        "version's reference sample, prediction drift, and performance once labels are known "
        f"({', '.join(spec.metrics)}). Each day is saved as a snapshot in the Evidently "
        "workspace (evidently/ under the data root), on the model's dashboard in the Evidently "
        "UI. A day inside the serving version's training window is marked in-sample and left "
        "out of the plot, the dashboard and the retraining sensor.",
        code_version=MONITORING_CODE_VERSION,
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_WRITER_POOL,
        automation_condition=follows_new_days(ignore=[model_asset_key(spec.name, CHAMPION)]),
    )
    def monitoring(
        context: dg.AssetExecutionContext, platform_data: PlatformData
    ) -> dg.MaterializeResult:
        from platform_assets.lib.monitoring.daily_monitoring import (
            NoPredictionsError,
            monitor_days,
            publish_snapshots,
        )
        from platform_assets.lib.monitoring.evidently_workspace import (
            dashboard_url,
            snapshot_url,
        )
        from platform_assets.lib.monitoring.sensor_files import (
            load_decisions,
            publish_daily_metrics,
        )

        paths = platform_data.paths
        days = partition_days(context)
        with connect(paths.warehouse) as connection:
            try:
                summary = monitor_days(connection, paths.artifacts, spec, day_chunks(days))
            except NoPredictionsError as error:
                raise dg.Failure(str(error)) from error
            # what the retraining sensor reads instead of the warehouse, and what it decided
            publish_daily_metrics(connection, paths.monitoring, spec)
            decisions_loaded = load_decisions(connection, paths.monitoring, spec.name)
        # built from what was read, with the warehouse closed for the other writers
        every_day = [date.fromisoformat(key) for key in partitions.get_partition_keys()]
        started = time.perf_counter()
        pruned = publish_snapshots(paths.evidently, spec, summary, every_day)
        snapshot_seconds = time.perf_counter() - started
        last_day = summary.snapshots[-1].day
        # the drift share of the last day out of sample: an in-sample day is never shown
        counted = (
            {} if summary.last_drift_share is None else {"drift_share": summary.last_drift_share}
        )
        return dg.MaterializeResult(
            metadata={
                "days": len(days),
                **counted,
                # the run's last day in the Evidently UI (make dev serves it), and the model's
                # dashboard over every day
                "snapshot": dg.MetadataValue.url(snapshot_url(spec.name, last_day)),
                "dashboard": dg.MetadataValue.url(dashboard_url(spec.name)),
                "snapshots_written": len(summary.snapshots),
                "snapshots_pruned": pruned,  # beyond keep_report_days
                "snapshot_seconds": round(snapshot_seconds, 3),  # of the run's time
                "recent_days": dg.MetadataValue.md(summary.recent_days),
                "served_versions": dg.MetadataValue.json(summary.served_versions),
                # days on or before the scoring version's training_end: kept, not counted
                "in_sample_days": len(summary.in_sample_days),
                "untested_columns": dg.MetadataValue.json(summary.last_day_untested),
                "retraining_decisions_loaded": decisions_loaded,
            }
        )

    return monitoring
