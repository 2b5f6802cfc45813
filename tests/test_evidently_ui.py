"""The monitoring a user looks at: both models monitored over three days in one backfill run,
then a real `evidently ui` over the data root's workspace (as `make dev` starts it), read
through its API and in headless Chromium.

The workspace holds one snapshot per model and day; the link in the monitoring metadata
resolves to that day's snapshot; the browser finds both projects and a dashboard panel that
plots one point per monitored day.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from platform_assets.lib.ml.spec import load_model_specs
from platform_assets.lib.monitoring import evidently_workspace as ws
from platform_assets.lib.paths import DataPaths
from tests.helpers import (
    copy_built_root,
    get_json,
    materialize_model_family,
    materialize_range,
    model_family,
    running_evidently_ui,
)

TEST_MODELS = Path(__file__).with_name("models_for_tests.yaml")
DAYS = ["2013-02-04", "2013-02-05", "2013-02-06"]


@dataclass(frozen=True)
class Monitored:
    paths: DataPaths
    links: dict[str, str]  # model: the snapshot link of its monitoring run's metadata
    models: list[str]


@pytest.fixture(scope="module")
def monitored(feature_warehouse, tmp_path_factory) -> Iterator[Monitored]:
    """Both models trained up to 2013-02-03, then predicted and monitored over three days in
    one run each, as a backfill runs them."""
    paths = DataPaths(tmp_path_factory.mktemp("evidently") / "data")
    copy_built_root(feature_warehouse, paths)
    links = {}
    with pytest.MonkeyPatch.context() as patch, dg.instance_for_test() as instance:
        patch.setenv("PLATFORM_DATA_DIR", str(paths.root))
        patch.setenv("PLATFORM_MODELS_FILE", str(TEST_MODELS))
        patch.setenv("PLATFORM_EVIDENTLY_URL", "http://evidently.example")
        for name in load_model_specs():
            family = model_family(load_model_specs()[name])
            steps = [family[s] for s in ("training_set", "candidate", "evaluation", "champion")]
            config = {
                "ops": {f"ml__{name}__training_set": {"config": {"cutoff_date": "2013-02-03"}}}
            }
            assert materialize_model_family(steps, paths, instance, config).success
            daily = [family["predictions"], family[name]]
            result = materialize_range(daily, paths, instance, DAYS[0], DAYS[-1])
            assert result.success
            event = result.get_asset_materialization_events()[-1].materialization
            links[name] = event.metadata["snapshot"].value
        yield Monitored(paths, links, list(load_model_specs()))


@pytest.fixture(scope="module")
def evidently_ui(monitored) -> Iterator[str]:
    """`evidently ui` over the monitored workspace; its URL."""
    with running_evidently_ui(monitored.paths.evidently) as url:
        yield url


def _points(url: str, model: str, column: str) -> list:
    """What a dashboard panel plots for one MeanValue series: (day, value) per snapshot."""
    body = {
        "series_filter": [
            {
                "metric": "evidently:metric_v2:MeanValue",
                "tags": [ws.OUT_OF_SAMPLE],
                "metadata": {},
                "metric_labels": {"column": column},
            }
        ]
    }
    request = urllib.request.Request(
        f"{url}/api/v2/snapshots/{ws.project_id(model)}/data_series_batch",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        data = json.loads(response.read())
    days = [source["timestamp"][:10] for source in data["sources"]]
    return list(zip(days, data["series"][0]["values"], strict=True))


def test_each_model_day_has_one_snapshot_and_the_metadata_link_resolves(monitored, evidently_ui):
    projects = {p["name"]: p["id"] for p in get_json(f"{evidently_ui}/api/v2/projects")}
    assert set(monitored.models) <= set(projects)
    for model in monitored.models:
        snapshots = get_json(f"{evidently_ui}/api/projects/{projects[model]}/snapshots")
        assert sorted(s["metadata"]["day"] for s in snapshots) == DAYS
        # the metadata's link, as the UI would open it: that day's snapshot of that project
        link = monitored.links[model]
        assert link == ws.snapshot_url(
            model, date.fromisoformat(DAYS[-1]), "http://evidently.example"
        )
        project, _, snapshot = link.removeprefix("http://evidently.example/projects/").partition(
            "/reports/"
        )
        shown = get_json(f"{evidently_ui}/api/projects/{project}/{snapshot}/metadata")
        assert shown["metadata"]["day"] == DAYS[-1]
        drift = _points(evidently_ui, model, "drift_share")
        assert [day for day, _ in drift] == DAYS
        assert all(0 <= value <= 1 for _, value in drift)
        # every series of the dashboard finds a value on every day: its filters match what
        # the snapshots hold (held-out bounds and the watched views' drift included)
        dashboard = get_json(f"{evidently_ui}/api/v2/dashboards/{projects[model]}")
        series = [v["metric_labels"]["column"] for p in dashboard["panels"] for v in p["values"]]
        assert {"drift_share", "serving_version"} < set(series)
        assert sum(name.startswith("drift.") for name in series) == 5
        for column in series:
            points = _points(evidently_ui, model, column)
            assert len(points) == len(DAYS), column
            assert all(value is not None for _, value in points), column


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is absent")
def test_the_browser_finds_both_projects_and_a_panel_with_a_point_per_day(
    monitored, evidently_ui, tmp_path
):
    from playwright.sync_api import expect, sync_playwright

    from docs.make_screenshots import CHROMIUM, CHROMIUM_ARGS

    model = "delay_classifier"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(evidently_ui, wait_until="domcontentloaded")
            for name in monitored.models:
                expect(page.get_by_text(name, exact=True).first).to_be_visible()

            def drift_panel(response) -> bool:  # the request of the panel checked below
                body = response.request.post_data or ""
                return "data_series_batch" in response.url and "prediction_drift" in body

            with page.expect_response(drift_panel) as batch:
                page.goto(ws.dashboard_url(model, evidently_ui), wait_until="domcontentloaded")
            title = "Feature drift share and prediction drift"
            heading = page.get_by_role("heading", name=title)
            expect(heading).to_be_visible()
            plotted = batch.value.json()
            assert [s["timestamp"][:10] for s in plotted["sources"]] == DAYS
            # the chart itself: a mark per day on each of its two lines, a tick per day
            panel = heading.locator("xpath=ancestor::div[.//*[local-name()='svg']][1]")
            marks = panel.locator("[class*=MuiMarkElement]")
            expect(marks).to_have_count(2 * len(DAYS))
            ticks = panel.locator(".MuiChartsAxis-directionX .MuiChartsAxis-tickLabel")
            assert [t[:10] for t in ticks.all_text_contents()] == DAYS
            page.screenshot(path=str(tmp_path / "dashboard.png"))
        finally:
            browser.close()
