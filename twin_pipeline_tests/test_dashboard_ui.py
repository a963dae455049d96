"""The dashboard in a real browser (Debian's Chromium, as test_ui), served by the read API in
this process against ten years of states (decade.py): every chart drawn, the day's text as
/status?format=text says it, the key asked for and refused, the docs' pictures (test_ui.py)."""

import re
import socket
import threading
from datetime import date

import pytest
import uvicorn

from twin_pipeline.api import create_app
from twin_pipeline.api.keys import KeysFile, add_key
from twin_pipeline.reader import TwinReader
from twin_pipeline_tests.conftest import wait_until
from twin_pipeline_tests.decade import insert_states
from twin_pipeline_tests.test_ui import CHROMIUM_ARGS, chromium, screenshot

END = date(2026, 3, 31)
KEY = "a-long-dashboard-key"
CHARTS = ("cashflow", "weight", "workouts", "budgets", "pantry", "month-end-band", "forecasts", "runouts")
REFUSED = re.compile(r"Failed to load resource: the server responded with a status of 40[13] \((Unauthorized|Forbidden)\)")

# Pixels of a series (saturated colours) on each chart's canvas; axes and grid are grey.
SERIES_PIXELS = """(name) => {
  const canvas = document.querySelector(`[data-chart="${name}"] canvas`);
  if (!canvas) return 0;
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 0 && Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 60) count++;
  }
  return count;
}"""


class ApiServer:
    """`create_app` under uvicorn in a thread, on a free loopback port."""

    def __init__(self, reader: TwinReader, token: str | None, keys_file: KeysFile | None = None):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        app = create_app(reader, token=token, recheck_seconds=0.5, keys_file=keys_file)
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "ApiServer":
        self.thread.start()
        wait_until(lambda: self.server.started, "the API started", timeout=20, every=0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture(scope="module")
def reader(sources):
    insert_states(sources.twin, END, reviews=True)
    return TwinReader(sources.finance_url)


@pytest.fixture(scope="module")
def api(reader):
    with ApiServer(reader, KEY) as server:
        yield server


@pytest.fixture(scope="module")
def browser(reader):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def status_text(api: ApiServer, day: str, key: str = KEY) -> str:
    import urllib.request

    request = urllib.request.Request(api.url(f"/status?format=text&date={day}"), headers={"X-API-KEY": key})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def opened(browser, url: str, **viewport):
    """A page on `url` keeping its console errors (a refused script, a CSP violation) but the
    browser's own line for a data request refused for want of a key."""
    page = browser.new_page(viewport=viewport or {"width": 1400, "height": 1000})
    errors = []

    def console(message) -> None:
        if message.type == "error" and not REFUSED.fullmatch(message.text):
            errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    page.goto(url)
    return page


def drawn(page) -> None:
    # Locators, not wait_for_function: the page's CSP forbids the eval that one needs.
    page.locator("body[data-drawn='true']").wait_for(state="attached", timeout=15000)


def signed_in(browser, api: ApiServer, query: str = "", key: str = KEY, **viewport):
    page = opened(browser, api.url(f"/dashboard{query}"), **viewport)
    page.fill("#key", key)
    page.click("#login button")
    drawn(page)
    return page


def drawn_points(page) -> dict[str, int]:
    return {name: int(page.get_attribute(f'[data-chart="{name}"]', "data-points") or 0) for name in CHARTS}


def test_a_missing_or_wrong_key_shows_the_login_error_and_no_data(browser, api):
    page = opened(browser, api.url("/dashboard"))
    page.locator("body[data-drawn='refused']").wait_for(state="attached", timeout=15000)
    assert page.inner_text("#login-error") == "an API key is required: send it in X-API-KEY (or as Authorization: Bearer)"
    assert page.is_hidden("#board") and page.locator("canvas").count() == 0
    assert page.inner_text("#status-text") == ""
    page.fill("#key", "not-the-key")
    page.click("#login button")
    page.locator("#login-error", has_text="wrong API key").wait_for(timeout=15000)
    assert page.inner_text("#login-error") == "wrong API key: send the key of DIGITAL_TWIN_API_KEY in X-API-KEY"
    assert page.is_hidden("#board") and page.locator("canvas").count() == 0
    assert page.evaluate("sessionStorage.getItem('twin-api-key')") is None  # a refused key is not kept
    assert "AUTONOMOUS" not in page.content()
    assert page.errors == []
    page.close()


def test_every_chart_has_points_and_the_text_is_the_days_status(browser, api, screenshots):
    page = signed_in(browser, api)
    points = drawn_points(page)
    assert all(points[name] > 0 for name in CHARTS), points
    assert points["pantry"] == 3 * 365 and points["weight"] in (365 + 52, 365 + 53)  # body fat one day a week
    for name in ("cashflow", "weight", "workouts", "pantry", "forecasts"):
        assert page.evaluate(SERIES_PIXELS, name) > 50, name
    # The decade's forecasts scored by the twin's own rules: a month-end accuracy for every
    # day of the month a projection was made on before its month's last day (the 31st is
    # always a last day: made on its outcome day, not scored), and a run-out error for each
    # budget; the band, a point per projection scored in the range.
    assert points["forecasts"] == 30 and points["runouts"] >= 5, points
    assert points["month-end-band"] > 300, points  # the year shown, less its months' last days
    assert page.inner_text('[data-chart="forecasts"] .note') == ""
    assert page.locator('[data-chart="budgets"] .fill.HIGH').count() == 5  # the day's five alerts, all HIGH
    assert page.input_value("#day") == END.isoformat()
    assert page.inner_text("#status-text") == status_text(api, END.isoformat())
    assert page.inner_text("#missing") == ""
    screenshot(page, screenshots / "dashboard.png", full_page=True)

    # Another day from the picker: its own text, the range ending there.
    page.fill("#day", "2024-02-29")
    page.dispatch_event("#day", "change")
    page.locator("#status-day", has_text="2024-02-29").wait_for(timeout=15000)
    drawn(page)
    assert page.inner_text("#status-text") == status_text(api, "2024-02-29")
    assert page.inner_text("#status-text").startswith("📊 AUTONOMOUS LIVING STATUS · 2024-02-29")
    # that year holds the ten missing days: named, and drawn around
    assert drawn_points(page)["pantry"] == 3 * (365 - 10)
    assert "finance: no state on 10 of 365 days" in page.inner_text("#missing")
    assert page.errors == []
    page.close()


def test_the_range_control_and_what_is_missing(browser, api):
    page = signed_in(browser, api, "?range=30d")
    assert drawn_points(page)["pantry"] == 3 * 30
    page.click('nav button[data-range="all"]')
    # a decade: each week's last day (522), less the six falling on missing or unavailable days
    page.locator(f'[data-chart="pantry"][data-points="{3 * (522 - 6)}"]').wait_for(state="attached", timeout=15000)
    drawn(page)
    assert page.inner_text('[data-chart="pantry"] h2') == "Pantry (each week's last day)"
    assert page.get_attribute('nav button[data-range="all"]', "aria-pressed") == "true"
    # ten days missing, thirty with the pantry unavailable: named, and drawn around
    assert "pantry: no state on 10 of 3653 days, unavailable on 30 days" in page.inner_text("#missing")
    assert page.inner_text('[data-chart="pantry"] .note').startswith("pantry: no state on 10 of 3653 days")
    assert "?range=all" in page.url and page.errors == []
    page.close()


def test_on_a_phone_the_charts_fit_the_screen(browser, api, screenshots):
    page = signed_in(browser, api, width=390, height=844)
    widths = page.evaluate("[...document.querySelectorAll('canvas')].map(c => c.getBoundingClientRect().right)")
    assert widths and max(widths) <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, screenshots / "dashboard-phone.png", full_page=True)
    page.close()


def test_without_a_key_configured_no_login_is_asked(browser, reader):
    with ApiServer(reader, None) as open_api:
        page = opened(browser, open_api.url("/dashboard?range=30d"))
        drawn(page)
        assert page.is_hidden("#login") and drawn_points(page)["pantry"] == 90 and page.errors == []
        page.close()


def test_a_household_key_sees_the_pantry_and_the_home_only(browser, reader, tmp_path):
    path = tmp_path / "keys.toml"
    partner = add_key(path, "anna", "household")
    with ApiServer(reader, KEY, KeysFile(path)) as household_api:
        page = signed_in(browser, household_api, "?range=30d", key=partner)
        shown = page.evaluate("[...document.querySelectorAll('[data-chart]')].filter(c => !c.hidden).map(c => c.dataset.chart)")
        assert shown == ["pantry", "home"]
        assert drawn_points(page)["pantry"] == 3 * 30 and page.evaluate(SERIES_PIXELS, "pantry") > 50
        text = page.inner_text("#status-text")
        assert text == status_text(household_api, END.isoformat(), partner)
        assert text.startswith(f"📊 AUTONOMOUS LIVING STATUS · {END}") and "🛒 Pantry" in text
        assert not any(word in page.inner_text("#board") for word in ("💰", "PLN", "💪", "kg"))
        assert page.errors == []
        page.close()
