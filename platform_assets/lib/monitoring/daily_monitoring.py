"""A model's daily monitoring computed: data drift, prediction drift and performance per day.

Each day's flights are compared with the reference sample stored with the version that
scored them; the day's rows of `monitoring.drift`, `monitoring.performance` and
`monitoring.untested_columns` are replaced.
A day inside that version's training window is still computed when asked, and marked
`in_sample` (the history plot and the retraining sensor leave it out).
The Dagster asset (`defs/monitoring/monitoring_assets.py`) only wires this to its partitions.

Every day monitored also gets its Evidently snapshot (`evidently_workspace.py`), built from
what was computed here once the warehouse is closed: `publish_snapshots`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from platform_assets.lib.ml.features import version_feature_rows
from platform_assets.lib.ml.spec import ModelSpec
from platform_assets.lib.monitoring import evidently_workspace as workspaces
from platform_assets.lib.monitoring.evidently_dashboard import (
    WATCHED_FEATURES,
    dashboard_panels,
    write_dashboard,
)
from platform_assets.lib.monitoring.monitoring_store import (
    DRIFT_SHARE,
    daily_values,
    replace_daily_rows,
)

HISTORY_DAYS = 30
METRIC_COLUMNS = ["partition_date", "metric", "value", "model_version", "rows", "in_sample"]
UNTESTED_COLUMNS = ["partition_date", "model_version", "column_name", "reason", "in_sample"]


class NoPredictionsError(ValueError):
    """Nothing to monitor: the model scored none of the days asked for."""


@dataclass(frozen=True)
class MonitoringSummary:
    """What a monitoring run shows its user: the last counted day's drift share, the recent
    history as a markdown plot, the versions that served the days, the days that were inside
    their version's training window; and each day's snapshot, with the feature views the
    dashboard watches (the champion's most important), to publish."""

    last_drift_share: float | None  # of the last day out of sample; None if there was none
    recent_days: str
    served_versions: list[str]
    in_sample_days: list[date]
    last_day_untested: dict[str, str]  # column: why drift could not test it
    snapshots: list[workspaces.DaySnapshot]
    watched_features: list[str]


class ServedVersion:
    """A served version's pipeline, reference sample and reference scores, loaded once a run."""

    def __init__(self, connection, artifacts: Path, spec: ModelSpec, version):
        from platform_assets.lib.ml import registry
        from platform_assets.lib.ml.evaluation import predict
        from platform_assets.lib.ml.evaluation_log import latest_evaluation
        from platform_assets.lib.ml.training import prepare_features

        self.version = version
        self.features = version.params["features"]
        evaluation = latest_evaluation(connection, spec.name, version.version)
        self.held_out = (evaluation.held_out if evaluation else None) or {}
        self.pipeline = registry.load_model(connection, artifacts, spec.name, version.version)
        self.reference = registry.load_reference_sample(
            connection, artifacts, spec.name, version.version
        )
        self.reference_scores = predict(
            spec.task, self.pipeline, prepare_features(self.reference, self.features)
        )


def monitor_day(spec: ModelSpec, served: ServedVersion, day_rows, settings):
    """The day's drift result, its drift and performance rows, and the row counts.

    The drift share is over the version's features but those excluded in the settings.
    """
    from platform_assets.lib.ml.evaluation import score
    from platform_assets.lib.ml.training import target_values
    from platform_assets.lib.monitoring.drift import feature_drift, prediction_drift

    drift = feature_drift(served.reference, day_rows, served.features, settings)
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


def history_plot(connection, spec: ModelSpec, last_day: date) -> str:
    """The drift share and the promotion metric of the last HISTORY_DAYS days, as markdown."""
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


def day_snapshot(spec, served: ServedVersion, day, day_rows, in_sample, monitored):
    """The model-day's snapshot: the numbers `monitor_day` computed (every feature view's drift
    as its largest column score), the serving version and the band of its held-out days, and
    the day's most drifted columns (by score over threshold) to draw."""
    drift, drift_rows, performance_rows, *_ = monitored
    values = {
        name: value for name, value in drift_rows if name in (DRIFT_SHARE, "prediction_drift")
    }
    performance = dict(performance_rows)
    held_out = served.held_out.get("daily", {})
    for metric in spec.metrics:
        values[metric] = performance.get(metric, float("nan"))
        for bound in ("low", "high"):
            name = workspaces.value_name(metric, f"held_out_{bound}")
            values[name] = held_out.get(metric, {}).get(f"day_{bound}", float("nan"))
    values["serving_version"] = float(served.version.version_number)
    values |= workspaces.view_drift({c.column: c.score for c in drift.columns})
    drawn = sorted(drift.columns, key=lambda c: c.score / c.threshold, reverse=True)
    drawn = drawn[: workspaces.DRIFTED_COLUMNS_SHOWN]
    columns = [c.column for c in drawn]
    return workspaces.DaySnapshot(
        model=spec.name,
        day=day,
        version=served.version.version,
        in_sample=in_sample,
        values=values,
        reference=served.reference[columns],
        current=day_rows[columns],
        drift_methods={c.column: (c.method, c.threshold) for c in drawn},
    )


def watched_features(connection, spec: ModelSpec, settings) -> list[str]:
    """The feature views and own columns the dashboard's drift panel plots: the champion's most
    important by its held-out permutation importance, or, for a champion evaluated before
    importance was recorded, its first declared; never a column left out of drift."""
    from platform_assets.lib.ml import registry
    from platform_assets.lib.ml.evaluation_log import latest_evaluation
    from platform_assets.lib.ml.model_card import feature_groups, group_name

    champion = registry.champion(connection, spec.name)
    if champion is None:
        return []
    evaluation = latest_evaluation(connection, spec.name, champion.version)
    ranked = [
        name for name, _ in ((evaluation and evaluation.held_out) or {}).get("importance", [])
    ]
    ranked = ranked or list(feature_groups(champion.params["features"]))
    tested = [name for name in ranked if settings.tested_columns([name])]
    return [group_name(name) for name in tested][:WATCHED_FEATURES]


def publish_snapshots(workspace: Path, spec: ModelSpec, summary: MonitoringSummary, days) -> int:
    """Write the run's snapshots and the model's dashboard; delete the snapshots beyond
    `keep_report_days` among `days` (the partitions) but the run's last; how many were deleted."""
    workspaces.ensure_project(workspace, spec.name, spec.description)
    panels = dashboard_panels(
        spec.name, spec.metrics, spec.promotion.metric, summary.watched_features
    )
    write_dashboard(workspace, spec.name, panels)
    workspaces.write_snapshots(workspace, summary.snapshots)
    return workspaces.prune_snapshots(
        workspace, spec.name, days, spec.keep_report_days, summary.snapshots[-1].day
    )


def monitor_days(
    connection: duckdb.DuckDBPyConnection,
    artifacts: Path,
    spec: ModelSpec,
    chunks: list[tuple[date, date]],
) -> MonitoringSummary:
    """Monitor every day of `chunks` ((first, last) ranges, read one at a time to bound memory)
    and replace their rows in the monitoring tables."""
    import pandas as pd

    from platform_assets.lib.ml import registry
    from platform_assets.lib.monitoring.drift import configured_drift_settings

    settings = configured_drift_settings()
    watched = watched_features(connection, spec, settings)
    drift_frames, performance_frames, untested_rows, snapshots = [], [], [], []
    served_cache, in_sample_days = {}, []
    for first, last in chunks:
        predicted = connection.execute(
            "SELECT flight_id, model_version, score FROM ml.predictions "
            "WHERE model_name = ? AND partition_date BETWEEN ? AND ?",
            [spec.name, first, last],
        ).df()
        for version_name in set(predicted["model_version"]) - set(served_cache):
            version = registry.get_version(connection, spec.name, version_name)
            served_cache[version_name] = ServedVersion(connection, artifacts, spec, version)
        if predicted.empty:
            continue
        # each version's flights are read with its own features, as known at its own lead
        joined = pd.concat(
            version_feature_rows(
                connection, served_cache[name].version, first, last, spec.target
            ).merge(predicted[predicted["model_version"] == name], on="flight_id")
            for name in sorted(set(predicted["model_version"]))
        )
        for (day, version_name), day_rows in joined.groupby(
            [joined["flight_date"].dt.date, "model_version"]
        ):
            served = served_cache[version_name]
            monitored = monitor_day(spec, served, day_rows, settings)
            drift, drift_rows, performance_rows, rows, labelled = monitored
            in_sample = day <= served.version.training_end
            snapshots.append(day_snapshot(spec, served, day, day_rows, in_sample, monitored))
            if in_sample:
                in_sample_days.append(day)
            untested_rows += [
                (day, version_name, u.column, u.reason, in_sample) for u in drift.untested
            ]
            for frames, metric_rows, count in (
                (drift_frames, drift_rows, rows),
                (performance_frames, performance_rows, labelled),
            ):
                frames.append(
                    pd.DataFrame(
                        [
                            (day, m, float(v), version_name, count, in_sample)
                            for m, v in metric_rows
                        ],
                        columns=METRIC_COLUMNS,
                    )
                )
    first_day, last_day = chunks[0][0], chunks[-1][1]
    if not served_cache:
        raise NoPredictionsError(
            f"No predictions of '{spec.name}' for {first_day} .. {last_day}: "
            f"materialize ml/{spec.name}/predictions for these days first."
        )
    untested = pd.DataFrame(untested_rows, columns=UNTESTED_COLUMNS)
    for table, frame in (
        ("drift", pd.concat(drift_frames)),
        ("performance", pd.concat(performance_frames)),
        ("untested_columns", untested),
    ):
        replace_daily_rows(connection, table, spec.name, first_day, last_day, frame)
    counted = pd.concat(drift_frames).query("metric == @DRIFT_SHARE and not in_sample")
    return MonitoringSummary(
        last_drift_share=float(counted["value"].iloc[-1]) if len(counted) else None,
        recent_days=history_plot(connection, spec, last_day),
        served_versions=sorted(served_cache),
        in_sample_days=sorted(set(in_sample_days)),
        last_day_untested={u.column: u.reason for u in drift.untested},
        snapshots=snapshots,
        watched_features=watched,
    )
