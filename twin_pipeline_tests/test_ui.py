"""The Dagster UI as the person sees it after `twin up`, driven in a real browser.

Playwright drives Debian's Chromium (dev.py installs it when missing; no browser download).
The screenshots it takes are the docs' pictures: kept in the session's temporary folder, in
docs/ by `python3.11 dev.py screenshots`.
"""

import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from twin_pipeline_tests.conftest import (asset_keys, graphql, stop_in_background, stop_process_group, wait_for_backfill,
                                          wait_until)

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DAILY_ASSETS = ("finance", "training", "pantry", "biometrics", "twin_state", "forecast_review", "notable", "daily_summary")
ENTITY_ASSETS = ("goals", "home", "person")
TODAY = datetime.now(ZoneInfo("Europe/Warsaw")).date()
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Whether the charts of a page (canvases) are still: the same pixels as at the last look.
CHARTS_STILL = """() => {
  const now = [...document.querySelectorAll("canvas")].map(c => c.toDataURL()).join();
  const still = now !== "" && now === window.twinLastCharts;
  window.twinLastCharts = now;
  return still;
}"""


def chromium() -> str:
    """Debian's Chromium, which `python3.11 dev.py test` installs when missing."""
    found = shutil.which("chromium")
    assert found, "no chromium on PATH: run the suite with `python3.11 dev.py test`, which installs it"
    return found


def screenshot(page, path: Path, **options) -> None:
    """The page as a PNG at `path`, as wide as its viewport."""
    page.screenshot(path=str(path), **options)
    png = path.read_bytes()
    assert png[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert int.from_bytes(png[16:20], "big") == page.viewport_size["width"], f"{path} is not as wide as the page"


@pytest.fixture(scope="module")
def twin_up(tmp_path_factory):
    """`twin up` exactly as the quick start runs it, on a port of its own."""
    home = tmp_path_factory.mktemp("ui") / ".twin"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "TWIN_"))}
    env["TWIN_HOME"] = str(home)
    log = open(home.parent / "twin-up.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "twin_pipeline.cli", "up", "--days", "7", "--demo-days", "90", "--port", str(port)],
        cwd=home.parent, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    def serving() -> bool:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
            return True
        except OSError:
            assert process.poll() is None, (home.parent / "twin-up.log").read_text()[-3000:]
            return False

    try:
        wait_until(serving, "twin up serving the UI", timeout=240, every=1)
        yield port
    finally:
        def stop() -> None:
            stop_process_group(process)
            log.close()
            subprocess.run([sys.executable, "-m", "twin_pipeline.cli", "db", "stop"], env=env, capture_output=True)

        stop_in_background(stop)


@pytest.fixture(scope="module")
def browser(twin_up):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def expand_all_groups(page) -> None:
    """The graph's settings (an icon among the zoom buttons, bottom right): Expand all groups."""
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    for button in page.locator("button").all():
        box = button.bounding_box()
        if not box or button.inner_text().strip() or box["x"] < width - 120 or box["y"] < height / 2:
            continue
        button.click()
        item = page.get_by_role("menuitem", name="Expand all groups")
        if item.count():
            item.click()
            page.keyboard.press("Escape")
            return
        page.keyboard.press("Escape")
    raise AssertionError("the graph's settings offer no 'Expand all groups'")


def test_the_graph_shows_every_asset_and_edge(twin_up, browser, screenshots):
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(f"http://127.0.0.1:{twin_up}/asset-groups", wait_until="networkidle")
    page.get_by_role("button", name="Materialize all…").wait_for()
    expand_all_groups(page)
    for name in (*DAILY_ASSETS, *ENTITY_ASSETS):
        page.get_by_text(name, exact=True).first.wait_for(state="visible", timeout=15000)
    # Every dependency is drawn: one edge per (parent, child) of the definitions.
    data = graphql(twin_up, "{ assetNodes { assetKey { path } dependencyKeys { path } } }")
    edges = sum(len(node["dependencyKeys"]) for node in data["assetNodes"])
    assert edges == 12  # notable: from twin_state, into daily_summary
    assert page.locator("svg path").count() >= edges
    screenshot(page, screenshots / "asset-graph.png")
    page.close()


def test_todays_status_text_is_on_the_daily_summary_page(twin_up, browser, screenshots):
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    # The partition's own page: today's materialization, whatever ran since.
    page.goto(f"http://127.0.0.1:{twin_up}/assets/daily_summary?view=partitions&partition={TODAY.isoformat()}",
              wait_until="networkidle")
    heading = page.get_by_text(f"AUTONOMOUS LIVING STATUS · {TODAY.isoformat()}").first
    heading.wait_for(state="visible", timeout=20000)
    assert "💰 Finance:" in page.inner_text("body") and "🏠 Home:" in page.inner_text("body")
    screenshot(page, screenshots / "daily-summary.png")
    page.close()


def test_a_backfilled_past_day_shows_its_own_text(twin_up, browser, screenshots):
    # `twin up --days 7` materialized the week in one run: each day has its own text.
    day = TODAY - timedelta(days=3)
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(f"http://127.0.0.1:{twin_up}/assets/daily_summary?view=partitions&partition={day.isoformat()}",
              wait_until="networkidle")
    page.get_by_text(f"AUTONOMOUS LIVING STATUS · {day.isoformat()}").first.wait_for(state="visible", timeout=20000)
    body = page.inner_text("body")
    assert f"AUTONOMOUS LIVING STATUS · {TODAY.isoformat()}" not in body  # not a copy of the range's last day
    screenshot(page, screenshots / "backfilled-day.png")
    page.close()


MTD_NET_POINTS = """
query ($key: AssetKeyInput!) {
  assetOrError(assetKey: $key) { ... on Asset { assetMaterializations(limit: 200) {
    partition metadataEntries { label ... on FloatMetadataEntry { floatValue } ... on IntMetadataEntry { intValue } }
  } } }
}"""


def test_the_plot_of_mtd_net_has_one_point_per_backfilled_day(twin_up, browser, screenshots):
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    # The asset's overview, Metadata → Plots: its numeric metadata drawn over its partitions.
    page.goto(f"http://127.0.0.1:{twin_up}/assets/finance", wait_until="networkidle")
    page.get_by_role("button", name="Plots").first.click()
    title = page.get_by_text("mtd_net", exact=True).first
    title.wait_for(state="visible", timeout=20000)
    title.scroll_into_view_if_needed()
    # The charts animate in: the picture once their pixels stay the same from one look to the next.
    page.wait_for_function(CHARTS_STILL, polling=300, timeout=20000)
    screenshot(page, screenshots / "mtd-net-plot.png")
    page.close()
    # What the plot draws: the mtd_net of each partition's materialization.
    found = graphql(twin_up, MTD_NET_POINTS, {"key": {"path": ["finance"]}})["assetOrError"]["assetMaterializations"]
    points = {}
    for materialization in found:
        for entry in materialization["metadataEntries"]:
            if entry["label"] == "mtd_net":
                points.setdefault(materialization["partition"], entry.get("floatValue", entry.get("intValue")))
    week = {(TODAY - timedelta(days=i)).isoformat() for i in range(7)}
    assert week <= set(points), sorted(week - set(points))
    # Each day its own figure, not the range's copied onto every partition.
    assert len({points[day] for day in week}) > 1


def test_a_week_backfilled_from_the_ui_finishes_as_one_run(twin_up, browser):
    first, last = TODAY - timedelta(days=20), TODAY - timedelta(days=14)
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(f"http://127.0.0.1:{twin_up}/locations/twin_pipeline/jobs/twin_daily_job", wait_until="networkidle")
    page.get_by_role("button", name="Materialize all").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Custom", exact=True).click()
    dialog.locator("input[type=text]").first.fill(f"[{first.isoformat()}...{last.isoformat()}]")
    dialog.locator("input[type=text]").first.press("Enter")
    only_missing = dialog.locator("input[type=checkbox]").first
    if only_missing.is_checked():
        only_missing.uncheck()
    dialog.get_by_role("button", name="Launch backfill").click()
    page.get_by_role("dialog").wait_for(state="detached", timeout=15000)
    page.close()

    query = "{ partitionBackfillsOrError { ... on PartitionBackfills { results { id } } } }"
    backfills = graphql(twin_up, query)["partitionBackfillsOrError"]["results"]
    assert backfills, "no backfill was launched from the UI"
    backfill, runs = wait_for_backfill(twin_up, backfills[0]["id"])
    assert backfill["status"] in ("REQUESTED", "COMPLETED", "COMPLETED_SUCCESS") and backfill["numPartitions"] == 7
    assert len(runs) == 1 and runs[0]["status"] == "SUCCESS"
    assert asset_keys(runs[0]) == ["biometrics", "daily_summary", "finance", "forecast_review", "notable", "pantry", "training", "twin_state"]  # all in this run
    tags = {t["key"]: t["value"] for t in runs[0]["tags"]}
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
        first.isoformat(), last.isoformat())
