"""The UI as a user meets it: a real `dagster dev`, driven from headless Chromium.

The test opens the asset graph, checks that it shows our assets, then materializes one
partition of raw/flights from the asset's page (Materialize…, partition 2013-01-02, launch)
and waits until that run succeeds, on the run's page and in the instance (GraphQL).

The data root holds only the flights file of that day: no weather file and no reference
files, so the landing sensor finds no complete day to ingest and the automation has nothing
to follow. The test still asserts on the one run it launched, not on whatever else runs.
"""

from __future__ import annotations

import contextlib
import re
import time
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from docs.make_screenshots import CHROMIUM, CHROMIUM_ARGS, SKIP_COMMUNITY_DIALOG
from platform_assets.lib.demo_data import replay
from platform_assets.lib.landing import REFERENCE_FOLDER, daily_file_name
from platform_assets.lib.paths import DataPaths
from tests.test_dagster_dev import _query, dagster_dev  # noqa: F401 (a fixture, used by name)

PARTITION = "2013-01-02"
STARTUP_TIMEOUT_SECONDS = 180
RUN_TIMEOUT_SECONDS = 240
UI_TIMEOUT_MS = 60_000
RUNS_QUERY = """
{ runsOrError(filter: {tags: [{key: "dagster/partition", value: "%s"}]}) {
    ... on Runs { results { runId status tags { key value } assetSelection { path } } } } }
"""

MATERIALIZATIONS_QUERY = """
{ assetOrError(assetKey: {path: ["raw", "flights"]}) {
    ... on Asset { assetMaterializations(partitions: ["%s"]) { runId partition } } } }
"""

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"Debian's chromium is not installed ({CHROMIUM} is absent)"
)


@pytest.fixture
def flights_file_only(data_paths: DataPaths) -> Path:
    """One day's flights file in the landing zone, and nothing the landing sensor would load."""
    day = date.fromisoformat(PARTITION)
    replay(data_paths.landing, day, day)
    (data_paths.landing / "weather" / daily_file_name(day)).unlink()
    for reference in (data_paths.landing / REFERENCE_FOLDER).glob("*.csv"):
        reference.unlink()
    return data_paths.landing / "flights" / daily_file_name(day)


def _wait_until_served(port: int, process, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            if _query(port, "{ assetNodes { id } }")["data"]["assetNodes"]:
                return
        except (OSError, KeyError, TypeError):
            pass
        time.sleep(1)
    pytest.fail(f"dagster dev did not serve the assets:\n{log.read_text()[-3000:]}")


def _partition_runs(port: int) -> list[dict]:
    """The runs of raw/flights for the test's partition."""
    runs = _query(port, RUNS_QUERY % PARTITION)["data"]["runsOrError"]["results"]
    return [
        run
        for run in runs
        if ["raw", "flights"] in [key["path"] for key in run["assetSelection"] or []]
    ]


def _wait_for_status(port: int, run_id: str, log: Path) -> str:
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    status = None
    while time.monotonic() < deadline:
        status = next(r["status"] for r in _partition_runs(port) if r["runId"] == run_id)
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            return status
        time.sleep(2)
    pytest.fail(f"run {run_id} still {status}:\n{log.read_text()[-3000:]}")


def _open_asset_graph(page: Page, base: str) -> None:
    page.goto(f"{base}/asset-groups", wait_until="domcontentloaded")
    page.get_by_role("button", name="Materialize all…").wait_for()
    for group in ("ingest", "staging", "features", "marts", "ml", "monitoring"):
        expect(page.get_by_text(group, exact=True).first).to_be_visible()
    # The global graph opens with its groups collapsed; the canvas's context menu expands
    # them. Right-click again if the canvas was not drawn yet when the first click landed.
    expand = page.get_by_role("menuitem", name="Expand all groups")
    for _ in range(10):
        page.mouse.click(1100, 820, button="right")
        try:
            expand.wait_for(timeout=3_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    expand.click()


def _launch_one_partition(page: Page, base: str) -> None:
    page.goto(f"{base}/assets/raw/flights", wait_until="domcontentloaded")
    page.get_by_role("button", name="Materialize…").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Launch runs to materialize raw / flights").wait_for()
    dialog.get_by_role("button", name="Custom").click()
    partitions = dialog.get_by_placeholder(re.compile(r"^ex: 2013-01-01"))
    partitions.fill(PARTITION)
    partitions.press("Enter")
    dialog.get_by_text("1 partition", exact=True).wait_for()
    dialog.get_by_role("button", name="Launch 1 run").click()  # one partition: a run, no backfill
    dialog.wait_for(state="hidden")


def test_materialize_one_partition_from_the_ui(
    flights_file_only,
    dagster_dev,  # noqa: F811 (the fixture imported above)
    tmp_path,
):
    port, process, log = dagster_dev
    _wait_until_served(port, process, log)
    base = f"http://127.0.0.1:{port}"
    assert _partition_runs(port) == []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(UI_TIMEOUT_MS)
        page.add_init_script(SKIP_COMMUNITY_DIALOG)
        try:
            _open_asset_graph(page, base)
            # the graph's first columns (it is wider than the window); the rest by group below
            for asset in ("flights", "weather", "stg_flights", "feature_files", "online_store"):
                expect(page.get_by_text(asset, exact=True).first).to_be_visible()
            page.get_by_text("marts", exact=True).first.click()  # the group, in the side tree
            expect(page.get_by_text("flight_features", exact=True).first).to_be_visible()

            _launch_one_partition(page, base)
            deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
            while not (runs := _partition_runs(port)) and time.monotonic() < deadline:
                time.sleep(1)
            assert len(runs) == 1, f"expected the one run launched from the UI, got {runs}"
            run = runs[0]
            tags = {tag["key"]: tag["value"] for tag in run["tags"]}
            assert "platform/trigger" not in tags, tags  # launched by us, not by a sensor

            page.goto(f"{base}/runs/{run['runId']}", wait_until="domcontentloaded")
            status = _wait_for_status(port, run["runId"], log)
            assert status == "SUCCESS", f"run {run['runId']} ended {status}"
            page.reload(wait_until="domcontentloaded")
            expect(page.get_by_text("Success", exact=True).first).to_be_visible()

            events = _query(port, MATERIALIZATIONS_QUERY % PARTITION)["data"]["assetOrError"]
            assert [e["runId"] for e in events["assetMaterializations"]] == [run["runId"]]
        except Exception:
            screenshot = tmp_path / "ui_failure.png"
            with contextlib.suppress(PlaywrightError):  # keep the test's own error, not this one
                page.screenshot(path=str(screenshot), full_page=True)
                print(f"screenshot of the page at the failure: {screenshot}")
            raise
        finally:
            browser.close()
