"""A snapshot of the Dagster asset graph, compared with tests/snapshots/asset_graph.txt.

Why: the graph (keys, groups, deps, partitions, automation, checks, sensors, schedules, jobs)
is what the UI, the daemon and the stored run history depend on. A refactor (moving modules,
renaming a factory) must leave it as it was, and a change meant to alter it should show up
in review as a diff of a readable text file. When a change is intended, rewrite the file:
`UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_asset_graph_snapshot.py` and commit it.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import dagster as dg
import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "tests" / "snapshots" / "asset_graph.txt"
# Settings a user's own data may set; the snapshot is of the shipped defaults.
ENV_VARS = ("PLATFORM_PARTITION_START", "PLATFORM_PARTITION_END", "PLATFORM_MODELS_FILE")


def _keys(keys) -> list[str]:
    return sorted(key.to_user_string() for key in keys)


def _partitions(partitions: dg.PartitionsDefinition | None) -> str:
    if partitions is None:
        return "-"
    if isinstance(partitions, dg.TimeWindowPartitionsDefinition):
        kind = partitions.schedule_type.value.lower() if partitions.schedule_type else "cron"
        end = partitions.end.strftime("%Y-%m-%d") if partitions.end else "open"
        return f"{kind} {partitions.start:%Y-%m-%d}..{end} (end exclusive, {partitions.timezone})"
    return f"{type(partitions).__name__}: {partitions}"


def _condition(condition: dg.AutomationCondition | None) -> str:
    if condition is None:
        return "-"
    children = [_condition(child) for child in condition.children]
    return condition.get_label() or f"{condition.name}({', '.join(children)})"


def _job(job, graph) -> list[str]:
    """A job's ops, or the assets an asset job selects."""
    if isinstance(job, dg.JobDefinition):
        return [f"  op: {name}" for name in sorted(node.name for node in job.graph.nodes)]
    return [f"  target asset: {key}" for key in _keys(job.selection.resolve(graph))]


def _target(job, graph) -> list[str]:
    """A sensor's or schedule's job: its name (unless made up for an asset selection), its work."""
    anonymous = job.name.startswith("__anonymous_asset_job_")
    return ([] if anonymous else [f"  job: {job.name}"]) + _job(job, graph)


def render(defs: dg.Definitions) -> str:
    """The graph as sorted, line-oriented text: one fact per line, so a diff says what changed."""
    graph = defs.resolve_asset_graph()
    lines = ["# Asset graph of platform_assets.definitions: see tests/test_asset_graph_snapshot.py"]
    for spec in sorted(defs.resolve_all_asset_specs(), key=lambda s: s.key.to_user_string()):
        lines += [
            "",
            f"asset {spec.key.to_user_string()}",
            f"  group: {spec.group_name}",
            f"  kinds: {', '.join(sorted(spec.kinds)) or '-'}",
            f"  owners: {', '.join(sorted(spec.owners)) or '-'}",
            *(f"  dep: {key}" for key in _keys(dep.asset_key for dep in spec.deps)),
            f"  partitions: {_partitions(spec.partitions_def)}",
            f"  automation: {_condition(spec.automation_condition)}",
            f"  pool: {', '.join(sorted(graph.get(spec.key).pools or ())) or '-'}",
        ]
    lines.append("")
    for key in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        blocking = "blocking" if graph.get_check_spec(key).blocking else "non-blocking"
        lines.append(f"check {key.name} on {key.asset_key.to_user_string()}: {blocking}")
    for sensor in sorted(defs.sensors or (), key=lambda s: s.name):
        lines += ["", f"sensor {sensor.name}", f"  type: {sensor.sensor_type.value.lower()}"]
        lines.append(f"  default status: {sensor.default_status.value.lower()}")
        lines.append(f"  minimum interval: {sensor.minimum_interval_seconds} s")
        jobs = sensor.jobs if sensor.has_jobs else []
        targets = [line for job in jobs for line in _target(job, graph)]
        if sensor.asset_selection is not None:
            keys = sensor.asset_selection.resolve(graph)
            everything = keys == graph.get_all_asset_keys()
            targets = [
                f"  target asset: {key}" for key in (["* (all)"] if everything else _keys(keys))
            ]
        lines += targets or ["  target: -"]
    for schedule in sorted(defs.schedules or (), key=lambda s: s.name):
        lines += ["", f"schedule {schedule.name}", f"  cron: {schedule.cron_schedule}"]
        lines.append(f"  timezone: {schedule.execution_timezone or 'UTC (Dagster default)'}")
        lines.append(f"  default status: {schedule.default_status.value.lower()}")
        lines += _target(schedule.job, graph)
    for job in sorted(defs.jobs or (), key=lambda j: j.name):
        lines += ["", f"job {job.name}", *_job(job, graph)]
    return "\n".join(lines) + "\n"


def _render_with_defaults() -> str:
    """The graph with the default settings, whatever this environment sets."""
    from platform_assets.definitions import build_definitions
    from platform_assets.lib.settings import PlatformSettings

    environ = {name: value for name, value in os.environ.items() if name not in ENV_VARS}
    return render(build_definitions(PlatformSettings.from_env(environ)))


def test_asset_graph_matches_the_snapshot():
    actual = _render_with_defaults()
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(actual, encoding="utf-8")
        return
    expected = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.exists() else ""
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            "tests/snapshots/asset_graph.txt (committed)",
            "asset graph (now)",
        )
        pytest.fail(
            "The asset graph differs from its snapshot. If the change is intended, rerun with "
            "UPDATE_SNAPSHOTS=1 and commit tests/snapshots/asset_graph.txt.\n" + "".join(diff),
            pytrace=False,
        )
