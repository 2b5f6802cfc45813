"""`make demo`: the year 2013 replayed headless, day by day, through the platform's own pieces.

Each day: the day's files arrive (the demo clock's replay), the real landing sensor asks
for ingestion, the day flows through dbt, predictions and monitoring (the assets the
declarative automation would select), and each model's real retraining sensor decides
with its policy; a requested retrain runs at once. Everything runs in process on an
ephemeral Dagster instance and a data root of its own. The summary lists each retrain and
the daily performance of the model that was serving.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from platform_assets.lib.demo_data import replay
from platform_assets.lib.paths import DataPaths
from platform_assets.lib.table_summary import markdown_table
from platform_assets.lib.warehouse import connect, table_exists


@dataclass
class DemoLog:
    """What happened during the replay, for the summary."""

    retrains: list[tuple[str, str, str, str]] = field(default_factory=list)
    failed_runs: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _execute(defs, instance, paths, request: dg.RunRequest, partition: str | None, log: DemoLog):
    from platform_assets.defs.resources import PlatformData
    from platform_assets.defs.transform.dbt_models import dbt_resource

    tags = dict(request.tags)
    if partition is not None:
        tags |= {
            "dagster/asset_partition_range_start": partition,
            "dagster/asset_partition_range_end": partition,
        }
    result = dg.materialize(
        defs.assets,
        selection=list(request.asset_selection),
        instance=instance,
        tags=tags,
        resources={"platform_data": PlatformData(data_dir=str(paths.root)), "dbt": dbt_resource},
        raise_on_error=False,
    )
    if counts_as_failed(result):
        log.failed_runs.append(f"{tags.get('platform/trigger', 'daily')} {partition or ''}")
    return result


def counts_as_failed(result: dg.ExecuteInJobResult) -> bool:
    """Whether the summary counts a run as failed: any unsuccessful run, except one stopped
    only by the promotion gate refusing a candidate (the platform deciding, not failing).
    A failed dbt test is a failure: its check fails and stops its run."""
    from platform_assets.defs.ml.model_keys import PROMOTION_GATE

    if result.success:
        return False
    refused = [check for check in result.get_asset_check_evaluations() if not check.passed]
    return not refused or any(check.check_name != PROMOTION_GATE for check in refused)


def _daily_downstream(defs) -> list[dg.AssetKey]:
    """The assets the declarative automation carries a new day through, upstream first."""
    from platform_assets.defs.transform.dbt_models import FEATURE_TABLE_KEY

    graph = defs.resolve_asset_graph()
    # the feature table, then the daily feature views, their files and the online store
    keys = [FEATURE_TABLE_KEY]
    keys += sorted(
        k
        for k in graph.get_all_asset_keys()
        if k.path[0] == "features" and graph.get(k).partitions_def is not None
    )
    keys += sorted(k for k in graph.get_all_asset_keys() if k.path[-1] == "predictions")
    keys += sorted(k for k in graph.get_all_asset_keys() if k.path[0] == "monitoring")
    return keys


def run_demo(paths: DataPaths, first_day: date, last_day: date) -> DemoLog:
    """Replay first_day..last_day through sensors and assets; returns what happened."""
    from platform_assets.definitions import build_definitions
    from platform_assets.defs.automation.landing_sensor import landing_sensor

    started = time.perf_counter()
    defs = build_definitions()
    log = DemoLog()
    instance = dg.DagsterInstance.ephemeral()
    cursors: dict[str, str | None] = {}
    retraining = [s for s in defs.sensors if s.name.startswith("retrain_")]
    downstream = _daily_downstream(defs)
    day = first_day
    while day <= last_day:
        replay(paths.landing, day, day)
        landed = landing_sensor(
            dg.build_sensor_context(instance=instance, cursor=cursors.get("landing"))
        )
        cursors["landing"] = landed.cursor or cursors.get("landing")
        for request in landed.run_requests:
            _execute(defs, instance, paths, request, None, log)
        has_champion = bool(_champions(paths))
        daily = [k for k in downstream if has_champion or k.path[0] in ("marts", "features")]
        _execute(defs, instance, paths, dg.RunRequest(asset_selection=daily), day.isoformat(), log)
        for sensor in retraining:
            decided = sensor(
                dg.build_sensor_context(instance=instance, cursor=cursors.get(sensor.name))
            )
            cursors[sensor.name] = decided.cursor or cursors.get(sensor.name)
            for request in decided.run_requests:
                before = _champions(paths)
                result = _execute(defs, instance, paths, request, None, log)
                after = _champions(paths)
                model = request.tags["platform/retrain_model"]
                if after.get(model) != before.get(model):
                    outcome = f"promoted {after[model]}"
                else:
                    outcome = f"kept {before.get(model)}" + (
                        "" if result.success else " (gate failed)"
                    )
                log.retrains.append(
                    (day.isoformat(), model, request.tags["platform/retrain_reason"], outcome)
                )
        day += timedelta(days=1)
    log.seconds = time.perf_counter() - started
    return log


def _champions(paths: DataPaths) -> dict[str, str]:
    if not paths.warehouse.exists():
        return {}
    with connect(paths.warehouse, read_only=True) as connection:
        if not table_exists(connection, "ml.model_versions"):
            return {}
        return dict(
            connection.execute(
                "SELECT model_name, version FROM ml.model_versions WHERE alias = 'champion'"
            ).fetchall()
        )


def write_summary(paths: DataPaths, log: DemoLog) -> Path:
    """Print and save the retrains and the served models' daily performance (markdown)."""
    from platform_assets.lib.ml.spec import load_model_specs

    specs = load_model_specs()
    sections = [
        f"# The year replayed\n\nWall time: {log.seconds:.0f} s. "
        f"Failed runs (a failed dbt test counts; a gate refusing a candidate does not): "
        f"{len(log.failed_runs)} {log.failed_runs if log.failed_runs else ''}",
        "## Retrains\n\n" + markdown_table(["day", "model", "reason", "outcome"], log.retrains),
    ]
    with connect(paths.warehouse, read_only=True) as connection:
        for name, spec in specs.items():
            # only days after the serving version's training window (see monitoring_store)
            out_of_sample = (
                "FROM monitoring.performance WHERE model_name = ? AND metric = ? AND NOT in_sample"
            )
            params = [name, spec.promotion.metric]
            rows = connection.execute(
                "SELECT strftime(partition_date, '%Y-%m') AS month, model_version, "
                f"round(avg(value), 4), count(*) {out_of_sample} GROUP BY ALL "
                # versions in the order they served (by name, v12 would come before v8)
                "ORDER BY month, min(partition_date)",
                params,
            ).fetchall()
            first, last, mean, days = connection.execute(
                f"SELECT min(partition_date), max(partition_date), avg(value), count(*) "
                f"{out_of_sample}",
                params,
            ).fetchone()
            overall = (
                f"Mean daily {spec.promotion.metric} of the serving model over its "
                f"{days} days out of sample ({first} .. {last}): {mean:.4f}."
                if days
                else "No day out of sample yet."
            )
            sections.append(
                f"## {name}: daily {spec.promotion.metric} of the serving model, by month\n\n"
                f"{overall}\n\n"
                + markdown_table(
                    ["month", "serving version", f"mean daily {spec.promotion.metric}", "days"],
                    rows,
                )
            )
    text = "\n\n".join(sections) + "\n"
    print(text)
    summary = paths.reports / "demo_summary.md"
    summary.parent.mkdir(parents=True, exist_ok=True)
    summary.write_text(text, encoding="utf-8")
    (paths.reports / "demo_retrains.json").write_text(json.dumps(log.retrains, indent=2))
    return summary
