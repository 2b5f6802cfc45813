"""Take the screenshots of docs/ui.md with headless Chromium, from a running `make dev`.

Start the platform the way a new user does (`make dev`) and wait until the sensors have
ingested the replayed days, trained and promoted the first models and monitored some days
after their training window; then, from the repository:

    .venv/bin/python docs/make_screenshots.py [--url http://127.0.0.1:3000]
        [--evidently-url http://127.0.0.1:8000] [--model NAME] [--evidently-only]

`--evidently-only` takes the dashboard alone, from any `evidently ui` over a data root's
workspace. The PNGs go to docs/screenshots/. Needs Debian's chromium at /usr/bin/chromium
(no browser download).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 900}
# The webserver's "Join the Dagster community" dialog stays away once this is stored.
SKIP_COMMUNITY_DIALOG = "window.localStorage.setItem('communityNux', JSON.stringify('1'))"
TIMEOUT_MS = 60_000
OUT = Path(__file__).resolve().parent / "screenshots"


def asset_graph(page: Page, url: str, out: Path) -> None:
    """The global asset lineage, every group expanded, the groups' tree panel hidden."""
    page.goto(f"{url}/asset-groups", wait_until="domcontentloaded")
    expect(page.get_by_text("monitoring", exact=True).first).to_be_visible()
    page.get_by_role("button", name="panel_show_right", exact=True).click()  # the tree's toggle
    expand = page.get_by_role("menuitem", name="Expand all groups")
    for _ in range(10):  # right-click again if the canvas was not drawn yet
        page.mouse.click(1100, 820, button="right")
        try:
            expand.wait_for(timeout=3_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    expand.click()
    expect(page.get_by_text("flight_features", exact=True).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1_500)  # the graph settles its zoom after the expansion
    page.screenshot(path=str(out))


def model_metadata(page: Page, url: str, model: str, out: Path) -> None:
    """The evaluation asset's page, its latest model card opened from the metadata table."""
    page.goto(f"{url}/assets/ml/{model}/evaluation", wait_until="domcontentloaded")
    row = page.get_by_role("row").filter(has=page.get_by_text("model_card", exact=True))
    row.get_by_text("[Show Markdown]").click()
    title = page.get_by_role("dialog").get_by_role("heading", name=f"Model card: {model}")
    title.scroll_into_view_if_needed()  # the card opens at its top, not at its plots
    expect(title).to_be_in_viewport()
    page.wait_for_timeout(1_000)
    page.screenshot(path=str(out))


def monitoring_dashboard(page: Page, evidently_url: str, model: str, out: Path) -> None:
    """The model's dashboard in the Evidently UI, its charts drawn, as a full page."""
    from platform_assets.lib.monitoring.evidently_workspace import dashboard_url

    page.goto(dashboard_url(model, evidently_url), wait_until="domcontentloaded")
    heading = page.get_by_role("heading", name="Feature drift share and prediction drift")
    expect(heading).to_be_visible()
    expect(page.locator("[class*=MuiMarkElement]").first).to_be_attached()
    page.wait_for_timeout(2_000)
    page.screenshot(path=str(out), full_page=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:3000", help="the dagster dev UI")
    parser.add_argument("--evidently-url", default="http://127.0.0.1:8000")
    parser.add_argument("--model", default="delay_classifier")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--evidently-only", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(TIMEOUT_MS)
            page.add_init_script(SKIP_COMMUNITY_DIALOG)
            if not args.evidently_only:
                asset_graph(page, args.url, args.out / "asset_graph.png")
                model_metadata(page, args.url, args.model, args.out / "model_metadata.png")
            dashboard = args.out / f"evidently_dashboard_{args.model}.png"
            monitoring_dashboard(page, args.evidently_url, args.model, dashboard)
        finally:
            browser.close()
    print(f"Screenshots written to {args.out}")


if __name__ == "__main__":
    main()
