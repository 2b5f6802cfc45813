"""A model's daily monitoring: data drift, prediction drift and performance of the served model.

Each day compares that day's flights with the reference sample stored with the version
that scored them, writes `monitoring.drift` and `monitoring.performance` (the day's rows
replaced), and saves Evidently's HTML report under `PLATFORM_DATA_DIR/reports/`.

A run saves the report of its last day only: the daily runs the automation starts therefore
leave one report per day, while a year's backfill writes its numbers in seconds instead of
spending minutes on 365 pages nobody opens (bench B3).
"""

from datetime import timedelta

import dagster as dg

from platform_assets.defs.automation.conditions import follows_new_days
from platform_assets.defs.ml.model_keys import CHAMPION, PREDICTIONS, model_asset_key
from platform_assets.defs.partitions import daily_partitions, day_chunks, partition_days
from platform_assets.defs.resources import WAREHOUSE_WRITER_POOL, PlatformData
from platform_assets.lib.ml.features import read_feature_rows
from platform_assets.lib.ml.spec import ModelSpec, load_drift_methods
from platform_assets.lib.monitoring.monitoring_store import (
    DRIFT_SHARE,
    daily_values,
    replace_daily_metrics,
)
from platform_assets.lib.warehouse import connect

MONITORING_CODE_VERSION = "1"
MONITORING_GROUP = "monitoring"
HISTORY_DAYS = 30


def drift_settings():
    """The pinned drift methods from the models file, over Evidently-based defaults."""
    from platform_assets.lib.monitoring.drift import DriftMethod, DriftSettings

    pinned = {kind: DriftMethod(**setting) for kind, setting in load_drift_methods().items()}
    return DriftSettings(**pinned)


class _ServedVersion:
    """A served version's pipeline, reference sample and reference scores, loaded once a run."""

    def __init__(self, connection, artifacts, spec: ModelSpec, version):
        from platform_assets.lib.ml import registry
        from platform_assets.lib.ml.evaluation import predict
        from platform_assets.lib.ml.training import prepare_features

        self.version = version
        self.features = version.params["features"]
        self.pipeline = registry.load_model(connection, artifacts, spec.name, version.version)
        self.reference = registry.load_reference_sample(
            connection, artifacts, spec.name, version.version
        )
        self.reference_scores = predict(
            spec.task, self.pipeline, prepare_features(self.reference, self.features)
        )


def _monitor_day(spec, served, day_rows, settings):
    """The day's drift result, its drift and performance rows, and the row counts."""
    from platform_assets.lib.ml.evaluation import score
    from platform_assets.lib.ml.training import target_values
    from platform_assets.lib.monitoring.drift import column_types, data_drift, prediction_drift

    numeric, categorical = column_types(served.reference, served.features)
    drift = data_drift(served.reference, day_rows, numeric, categorical, settings)
    scores_drift = prediction_drift(served.reference_scores, day_rows["score"], settings)
    rows = len(day_rows)
    drift_rows = [
        (DRIFT_SHARE, drift.drift_share),
        ("drifted_columns", float(sum(c.drifted for c in drift.columns))),
        ("prediction_drift", scores_drift.score),
        *((f"column:{c.column}", c.score) for c in drift.columns),
    ]
    labelled = day_rows[day_rows[spec.target].notna()]
    performance_rows = []
    if len(labelled) and (
        spec.task != "binary_classification" or labelled[spec.target].nunique() == 2
    ):
        metrics = score(spec.task, target_values(spec, labelled), labelled["score"])
        performance_rows = list(metrics.items())
    return drift, drift_rows, performance_rows, rows, len(labelled)


def _history_plot(connection, spec: ModelSpec, last_day) -> str:
    from platform_assets.lib.ml.plots import time_series_markdown

    since = last_day - timedelta(days=HISTORY_DAYS - 1)
    drift = daily_values(connection, "drift", spec.name, DRIFT_SHARE, since=since)
    performance = daily_values(
        connection, "performance", spec.name, spec.promotion.metric, since=since
    )
    days = sorted(set(drift) | set(performance))
    if not days:
        return "No monitored day yet."
    return time_series_markdown(
        days,
        {
            "drift share": [drift.get(day, float("nan")) for day in days],
            spec.promotion.metric: [performance.get(day, float("nan")) for day in days],
        },
        f"{spec.name}: last {HISTORY_DAYS} days",
        "value",
    )


def build_monitoring_asset(spec: ModelSpec) -> dg.AssetsDefinition:
    predictions_key = model_asset_key(spec.name, PREDICTIONS)

    @dg.asset(
        key=["monitoring", spec.name],
        deps=[predictions_key],
        group_name=MONITORING_GROUP,
        kinds={"python", "evidently", "duckdb"},
        description=f"Daily monitoring of '{spec.name}': feature drift against the serving "
        "version's reference sample, prediction drift, and performance once labels are known "
        f"({', '.join(spec.metrics)}). Evidently's report for each day is saved under reports/.",
        code_version=MONITORING_CODE_VERSION,
        partitions_def=daily_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_WRITER_POOL,
        automation_condition=follows_new_days(ignore=[model_asset_key(spec.name, CHAMPION)]),
    )
    def monitoring(
        context: dg.AssetExecutionContext, platform_data: PlatformData
    ) -> dg.MaterializeResult:
        import pandas as pd

        from platform_assets.lib.ml import registry
        from platform_assets.lib.monitoring.drift import save_report_html

        days = partition_days(context)
        settings = drift_settings()
        paths = platform_data.paths
        drift_frames, performance_frames, served_cache = [], [], {}
        with connect(paths.warehouse) as connection:
            for first, last in day_chunks(days):
                predicted = connection.execute(
                    "SELECT flight_id, model_version, score FROM ml.predictions "
                    "WHERE model_name = ? AND partition_date BETWEEN ? AND ?",
                    [spec.name, first, last],
                ).df()
                for version_name in set(predicted["model_version"]) - set(served_cache):
                    version = registry.get_version(connection, spec.name, version_name)
                    served_cache[version_name] = _ServedVersion(
                        connection, paths.artifacts, spec, version
                    )
                columns = sorted({f for s in served_cache.values() for f in s.features})
                features = read_feature_rows(connection, [*columns, spec.target], first, last)
                joined = features.merge(predicted, on="flight_id")
                for (day, version_name), day_rows in joined.groupby(
                    [joined["flight_date"].dt.date, "model_version"]
                ):
                    drift, drift_rows, performance_rows, rows, labelled = _monitor_day(
                        spec, served_cache[version_name], day_rows, settings
                    )
                    for frames, metric_rows, count in (
                        (drift_frames, drift_rows, rows),
                        (performance_frames, performance_rows, labelled),
                    ):
                        frames.append(
                            pd.DataFrame(
                                [(day, m, float(v), version_name, count) for m, v in metric_rows],
                                columns=[
                                    "partition_date",
                                    "metric",
                                    "value",
                                    "model_version",
                                    "rows",
                                ],
                            )
                        )
            if not served_cache:
                raise dg.Failure(
                    f"No predictions of '{spec.name}' for {days[0]} .. {days[-1]}: "
                    f"materialize ml/{spec.name}/predictions for these days first."
                )
            for table, frames in (("drift", drift_frames), ("performance", performance_frames)):
                replace_daily_metrics(
                    connection, table, spec.name, days[0], days[-1], pd.concat(frames)
                )
            report = save_report_html(
                served_cache[version_name].reference,
                day_rows,
                drift,
                paths.reports / spec.name / f"{day.isoformat()}.html",
            )
            latest = pd.concat(drift_frames).query("metric == @DRIFT_SHARE")["value"].iloc[-1]
            history = _history_plot(connection, spec, days[-1])
        return dg.MaterializeResult(
            metadata={
                "days": len(days),
                "drift_share": float(latest),
                "report": dg.MetadataValue.path(str(report)),
                "recent_days": dg.MetadataValue.md(history),
                "served_versions": dg.MetadataValue.json(sorted(served_cache)),
            }
        )

    return monitoring
