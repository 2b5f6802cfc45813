"""A model-day's Evidently snapshot from real weather rows: where it is written, what it holds
(the day's numbers and histograms, never a data row), replaced when the day is monitored
again, pruned beyond the days kept, and read back by Evidently's own workspace."""

from __future__ import annotations

import json
import math
import time
from datetime import date, timedelta

import pandas as pd
import pytest

from platform_assets.lib.demo_data import package_data_dir
from platform_assets.lib.monitoring import evidently_workspace as ws
from platform_assets.lib.monitoring.drift import DriftSettings, data_drift
from tests.helpers import get_json, running_evidently_ui

DAY = date(2013, 7, 15)


@pytest.fixture(scope="module")
def weather() -> pd.DataFrame:
    frame = pd.read_csv(package_data_dir() / "weather.csv")
    return frame.dropna(subset=["temp", "humid"])


def _snapshot(weather: pd.DataFrame, day: date, share: float) -> ws.DaySnapshot:
    reference = weather[weather.month == 1]
    current = weather[(weather.month == 7) & (weather.day == 15)]
    drift = data_drift(reference, current, ["temp", "humid"], ["origin"], DriftSettings())
    return ws.DaySnapshot(
        model="delay_classifier",
        day=day,
        version="v2",
        in_sample=False,
        values={"drift_share": share, "roc_auc": math.nan, "serving_version": 2.0}
        | ws.view_drift({c.column: c.score for c in drift.columns}),
        reference=reference[["temp", "origin"]],
        current=current[["temp", "origin"]],
        drift_methods={c.column: (c.method, c.threshold) for c in drift.columns[::2]},
    )


def _values(snapshot: dict) -> dict:
    """MeanValue results by column, and the columns ValueDrift drew."""
    means, drawn = {}, []
    for result in snapshot["metric_results"].values():
        params = result["metric_value_location"]["metric"]["params"]
        if params["type"].endswith(":MeanValue"):
            means[params["column"]] = result["value"]
        elif params["type"].endswith(":ValueDrift"):
            drawn.append(params["column"])
    return means, drawn


def _longest_list(node) -> int:
    if isinstance(node, dict):
        return max((_longest_list(v) for v in node.values()), default=0)
    if isinstance(node, list):
        return max([len(node), *(_longest_list(v) for v in node)])
    return 0


def test_a_day_is_written_under_its_fixed_id_holds_its_numbers_and_is_replaced(weather, tmp_path):
    from evidently.ui.workspace import Workspace

    ws.ensure_project(tmp_path, "delay_classifier", "Will the flight arrive late?")
    path = ws.write_snapshot(tmp_path, _snapshot(weather, DAY, 0.5))
    assert path.name == f"{ws.snapshot_id('delay_classifier', DAY)}.json"
    assert path.parent.parent.name == str(ws.project_id("delay_classifier"))
    assert ws.snapshot_url("delay_classifier", DAY, "http://x").endswith(
        f"/projects/{path.parent.parent.name}/reports/{path.stem}"
    )
    means, drawn = _values(json.loads(path.read_text()))
    assert means["drift_share"] == 0.5 and means["serving_version"] == 2.0
    assert means["drift.temp"] > means["drift.humid"] >= 0  # July against January
    assert means["roc_auc"] is None or math.isnan(means["roc_auc"])  # no label that day
    assert sorted(drawn) == ["origin", "temp"]
    # histograms and Evidently's line of the day's values by bucket, not rows: no list in the
    # file comes near the reference's 2,000-odd rows
    assert _longest_list(json.loads(path.read_text())) < len(weather[weather.month == 1]) / 4

    ws.write_snapshot(tmp_path, _snapshot(weather, DAY, 0.25))  # the day monitored again
    workspace = Workspace(str(tmp_path))
    project = ws.project_id("delay_classifier")
    assert [str(s) for s in workspace.list_runs(project)] == [path.stem]
    stored = workspace.get_run(project, path.stem)
    assert stored.timestamp.date() == DAY and stored.metadata["model_version"] == "v2"
    assert ws.OUT_OF_SAMPLE in stored.tags
    assert _values(json.loads(path.read_text()))[0]["drift_share"] == 0.25


def test_days_written_by_workers_are_pruned_beyond_the_days_kept_but_the_runs_last(
    weather, tmp_path
):
    from evidently.ui.workspace import Workspace

    days = [DAY + timedelta(days=i) for i in range(4)]
    ws.ensure_project(tmp_path, "delay_classifier", "Will the flight arrive late?")
    ws.write_snapshots(tmp_path, [_snapshot(weather, d, i / 10) for i, d in enumerate(days)], 2)
    for i, day in enumerate(days):  # each worker wrote its days whole, under their own ids
        path = next(tmp_path.rglob(f"{ws.snapshot_id('delay_classifier', day)}.json"))
        assert _values(json.loads(path.read_text()))[0]["drift_share"] == i / 10
    everything = [DAY + timedelta(days=i) for i in range(-30, 30)]
    # days[0] is the last day of a run that monitored an old day again
    assert ws.prune_snapshots(tmp_path, "delay_classifier", everything, 2, keep=days[0]) == 1
    workspace = Workspace(str(tmp_path))
    left = {str(s) for s in workspace.list_runs(ws.project_id("delay_classifier"))}
    assert left == {str(ws.snapshot_id("delay_classifier", d)) for d in [days[0], *days[2:]]}


def test_a_project_cut_short_by_a_crash_is_written_again(tmp_path):
    from evidently.ui.workspace import Workspace

    metadata = tmp_path / str(ws.project_id("m")) / "metadata.json"
    metadata.parent.mkdir(parents=True)
    metadata.write_text('{"id": "')
    ws.ensure_project(tmp_path, "m", "a model")
    assert Workspace(str(tmp_path)).get_project(ws.project_id("m")).name == "m"


def test_a_running_ui_shows_a_project_created_and_a_day_written_after_it_started(weather, tmp_path):
    """As after a fresh `make dev`: the UI starts on an empty workspace, the first monitoring
    run creates the project and writes its days."""
    workspace = tmp_path / "evidently"
    workspace.mkdir()
    with running_evidently_ui(workspace) as url:
        ws.ensure_project(workspace, "delay_classifier", "Will the flight arrive late?")
        ws.write_snapshot(workspace, _snapshot(weather, DAY, 0.5))
        project = ws.project_id("delay_classifier")
        deadline = time.monotonic() + 30
        while True:
            names = [p["name"] for p in get_json(f"{url}/api/v2/projects")]
            shown = names and get_json(f"{url}/api/projects/{project}/snapshots")
            if shown or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert names == ["delay_classifier"]
        assert [s["metadata"]["day"] for s in shown] == [DAY.isoformat()]
