"""The Evidently workspace of a data root: a project per model, a snapshot per monitored day,
and each project's dashboard, defined here in code.

`evidently ui` serves it (`make dev` starts it beside Dagster). A day's snapshot holds the
numbers monitoring computed for that day (drift share, prediction drift, each metric of the
task, each feature view's drift, the serving version and its held-out interval) as Evidently
`MeanValue` metrics of a one-row dataset, which is what a dashboard panel plots over time,
and Evidently's `ValueDrift` of the day's most drifted columns for the snapshot's own page.
Neither stores a data row: a `ValueDrift` keeps histograms and a line of the day's values
averaged by bucket of rows; the one row is the day's numbers.

The ids are derived from the model's name and the day (uuid5): a day monitored again replaces
its snapshot, and a link written before the snapshot exists (a model card's dashboard) holds.
(A day is scored by one version, so one snapshot per model and day is all there is.) The
dashboard is defined in `evidently_dashboard.py`.
Snapshot files are written here rather than with `Workspace.add_run`, which picks a new id
each time and writes in place: a file cut short by a crash stops `evidently ui` from starting
(it parses every snapshot at startup). Each is written to a temporary file and renamed, then
touched: the UI's file watcher ignores a rename (it looks at the source path) but reloads a
file whose attributes change.
Building a snapshot is CPU-bound (about 0.6 s, most of it Evidently rendering each metric's
plot): a run of many days builds them in worker processes, one per core (`write_snapshots`).
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from platform_assets.lib.atomic_files import write_atomically
from platform_assets.lib.settings import PlatformSettings

# Fixed forever: the ids of every project and snapshot derive from it, and links hold them.
NAMESPACE = uuid.UUID("6f1d7a52-3c1e-4a8e-9a57-0d3c6b2f4e10")
SNAPSHOTS = "snapshots"
OUT_OF_SAMPLE = "out_of_sample"  # the tag the dashboard's panels plot
IN_SAMPLE = "in_sample"
DRIFTED_COLUMNS_SHOWN = 5  # ValueDrift of the day's most drifted columns, on its own page
# A worker's start costs about 3 s (importing Evidently): fewer days are written in process.
PARALLEL_FROM_DAYS = 16


def project_id(model: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, model)


def snapshot_id(model: str, day: date) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{model}/{day.isoformat()}")


def _base_url(base_url: str | None) -> str:
    return base_url or PlatformSettings.from_env().evidently_url


def dashboard_url(model: str, base_url: str | None = None) -> str:
    """The model's dashboard in the Evidently UI."""
    return f"{_base_url(base_url)}/projects/{project_id(model)}"


def snapshot_url(model: str, day: date, base_url: str | None = None) -> str:
    """One monitored day of the model in the Evidently UI."""
    return f"{_base_url(base_url)}/projects/{project_id(model)}/reports/{snapshot_id(model, day)}"


def value_name(kind: str, name: str) -> str:
    """The one-row dataset's column for a feature view's (or own column's) drift, or a held-out
    bound: `drift.origin_live`, `roc_auc.held_out_low`."""
    return f"{kind}.{name}"


@dataclass
class DaySnapshot:
    """What one model-day's snapshot shows: its numbers and the columns to draw."""

    model: str
    day: date
    version: str
    in_sample: bool
    values: dict[str, float]
    reference: pd.DataFrame  # the drifted columns only, as the drift check compared them
    current: pd.DataFrame
    drift_methods: dict[str, tuple[str, float]]  # column: (method, threshold) of each drawn


def build_snapshot(day_snapshot: DaySnapshot):
    """The Evidently snapshot (a `Report` run) of one model-day, dated at the day."""
    import warnings

    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import MeanValue, ValueDrift

    from platform_assets.lib.monitoring.drift import column_types

    names = list(day_snapshot.values)
    numbers = pd.DataFrame([day_snapshot.values], columns=names, dtype=float)
    drawn = list(day_snapshot.drift_methods)
    numeric, categorical = column_types(day_snapshot.reference, drawn)
    # The numbers and the drawn columns side by side in one dataset: the numbers' row first,
    # the drawn columns' values below it (NaN in each other's columns, which MeanValue skips).
    current = pd.concat([numbers, day_snapshot.current[drawn]], ignore_index=True)
    reference = pd.concat([numbers.iloc[:0], day_snapshot.reference[drawn]], ignore_index=True)
    definition = DataDefinition(
        numerical_columns=[*names, *numeric], categorical_columns=categorical
    )
    metrics = [MeanValue(column=name) for name in names] + [
        ValueDrift(column=column, method=method, threshold=threshold)
        for column, (method, threshold) in day_snapshot.drift_methods.items()
    ]
    tag = IN_SAMPLE if day_snapshot.in_sample else OUT_OF_SAMPLE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the mean of a column of NaN
        return Report(metrics).run(
            Dataset.from_pandas(current, data_definition=definition),
            Dataset.from_pandas(reference, data_definition=definition),
            timestamp=datetime.combine(day_snapshot.day, datetime.min.time()),
            name=f"{day_snapshot.model} {day_snapshot.day.isoformat()}",
            tags=[tag, f"version={day_snapshot.version}"],
            metadata={
                "day": day_snapshot.day.isoformat(),
                "model_version": day_snapshot.version,
                IN_SAMPLE: "true" if day_snapshot.in_sample else "false",
            },
        )


def _snapshot_path(workspace: Path, model: str, day: date) -> Path:
    return workspace / str(project_id(model)) / SNAPSHOTS / f"{snapshot_id(model, day)}.json"


def write_snapshot(workspace: Path, day_snapshot: DaySnapshot) -> Path:
    """Build the model-day's snapshot and write it under its fixed id (see the module's doc)."""
    from evidently.legacy.utils import NumpyEncoder

    model = build_snapshot(day_snapshot).to_snapshot_model()
    path = _snapshot_path(workspace, day_snapshot.model, day_snapshot.day)
    write_atomically(path, json.dumps(model.dict(), cls=NumpyEncoder).encode("utf-8"))
    os.utime(path)  # the UI's watcher reloads on this event (a rename alone it ignores)
    return path


def write_snapshots(
    workspace: Path, snapshots: Sequence[DaySnapshot], workers: int | None = None
) -> None:
    """Write every snapshot (`write_snapshot`), in `workers` processes (by default one per core
    this process may use, for a run of `PARALLEL_FROM_DAYS` or more, else in process).

    Workers are spawned, not forked: the caller (a Dagster step) has threads of its own, and a
    fork copies whatever lock they hold."""
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if len(snapshots) >= PARALLEL_FROM_DAYS else 1
    if workers <= 1:
        for day_snapshot in snapshots:
            write_snapshot(workspace, day_snapshot)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # list(): a worker's exception is raised here
        list(pool.map(write_snapshot, [workspace] * len(snapshots), snapshots, chunksize=4))


def ensure_project(workspace: Path, model: str, description: str) -> None:
    """Create the model's project (under its fixed id) unless it is there and readable.

    A running UI learns of a new project only from its file's creation (a rename it ignores,
    a file still being written it fails to read and forgets), so the file is written whole
    under a temporary name and then linked to its own: it appears complete, at once. A file
    cut short by a crash is written again, in place of the old."""
    from evidently.legacy.utils import NumpyEncoder
    from evidently.sdk.models import ProjectModel

    metadata = workspace / str(project_id(model)) / "metadata.json"
    try:
        json.loads(metadata.read_text("utf-8"))
        return
    except (FileNotFoundError, ValueError):
        pass
    project = ProjectModel(id=project_id(model), name=model, description=description)
    text = json.dumps(project.dict(), cls=NumpyEncoder, indent=2).encode("utf-8")
    staged = metadata.with_name(".metadata.json.new")
    write_atomically(staged, text)
    (metadata.parent / SNAPSHOTS).mkdir(exist_ok=True)
    try:
        os.link(staged, metadata)
    except FileExistsError:  # the broken file of a crash
        os.replace(staged, metadata)
    else:
        staged.unlink()


def prune_snapshots(
    workspace: Path, model: str, days: Iterable[date], newest_days: int, keep: date
) -> int:
    """Delete the snapshots of `days` but those of the newest `newest_days` written and `keep`
    (the run's last day, which its metadata links to); how many were deleted. The ids come
    from the days, so no snapshot is parsed."""
    written = sorted(day for day in days if _snapshot_path(workspace, model, day).exists())
    pruned = [day for day in written[:-newest_days] if day != keep]
    for day in pruned:
        _snapshot_path(workspace, model, day).unlink()
    return len(pruned)


def view_drift(column_scores: dict[str, float]) -> dict[str, float]:
    """Each feature view's drift as its largest column score (a view drifts when any of its
    columns does); an own column stands for itself. Keys as `value_name("drift", ...)`."""
    from platform_assets.lib.ml.model_card import feature_groups, group_name

    drift = {}
    for group, columns in feature_groups(list(column_scores)).items():
        scores = [column_scores[c] for c in columns if not math.isnan(column_scores[c])]
        if scores:
            drift[value_name("drift", group_name(group))] = max(scores)
    return drift
