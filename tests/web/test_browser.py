"""The dashboard in a real browser: uvicorn on a free 127.0.0.1 port, Debian chromium via Playwright.

Screenshots go to tests/artifacts/ (test artefacts) and are copied to docs/img/ for the docs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
DOC_IMAGES = ROOT / "docs" / "img"
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def server(bundled_db: Path, tmp_path_factory, serve_web):
    pytest.importorskip("uvicorn", reason="uvicorn is not installed (pip install uvicorn)")
    copy = tmp_path_factory.mktemp("browser") / "store.duckdb"
    shutil.copy(bundled_db, copy)
    with serve_web(copy) as (_, base):
        yield base


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Debian chromium is not installed (apt-get install chromium; make test installs it)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (pip install playwright)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    pg.console_errors = errors
    yield pg
    context.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    DOC_IMAGES.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    shutil.copy(path, DOC_IMAGES / path.name)


def test_pick_june_2025_and_see_353_t_for_the_us(server, page):
    page.goto(server + "/")
    page.select_option("#month", "2025-06")
    page.click("form.picker button[type=submit]")
    page.wait_for_url("**/?month=2025-06")
    assert page.inner_text("h1").endswith("2025-06")
    assert page.inner_text("#world-total") == "3,188 t"
    us_row = page.locator('#partners tr[data-partner="USA"]')
    assert "353 t" in us_row.inner_text()
    us_row.locator("a", has_text="353 t").click()
    page.wait_for_url("**/provenance?partner=USA&period=2025-06")
    assert "353 t" in page.inner_text("#observations")
    assert "timeslive.co.za" in page.inner_text("#observations")
    page.goto(server + "/?month=2025-06")
    _shot(page, "overview-2025-06")
    assert page.console_errors == []


def test_us_partner_page_draws_the_chart_with_event_markers(server, page):
    page.goto(server + "/partner/USA")
    chart = page.locator("#chart")
    chart.locator("canvas").wait_for()
    page.wait_for_function("document.getElementById('chart').dataset.eventsDrawn !== undefined")
    drawn = int(chart.get_attribute("data-events-drawn"))
    listed = page.locator("#partner-events tbody tr").count()
    assert drawn >= 1 and drawn == listed
    assert int(chart.get_attribute("data-points")) >= 10
    box = chart.locator("canvas").bounding_box()
    assert box["width"] > 250 and box["height"] > 100
    _shot(page, "partner-USA")
    assert page.console_errors == []


def test_partner_page_draws_the_mirror_line_when_the_partner_side_is_held(bundled_db, tmp_path,
                                                                         serve_web, page):
    import magwatch

    copy = tmp_path / "store.duckdb"
    shutil.copy(bundled_db, copy)
    imports = tmp_path / "us_imports.csv"    # importer-side test figures, not statistics
    imports.write_text("reporter,partner,flow,commodity,period,net_weight_t\n"
                       "USA,CHN,M,850511,2025-06,300\nUSA,CHN,M,850511,2025-07,420\n")
    with magwatch.open(copy) as mw:
        mw.import_file(imports, vintage="2025-09-01")
    with serve_web(copy) as (_, base):
        page.goto(base + "/partner/USA")
        chart = page.locator("#chart")
        chart.locator("canvas").wait_for()
        page.wait_for_function("document.getElementById('chart').dataset.mirrorPoints !== undefined")
        assert int(chart.get_attribute("data-mirror-points")) >= 1
        assert "USA's imports from CHN (mirror)" in page.inner_text("#chart")
        assert page.console_errors == []


def test_scenario_fan_chart(server, page):
    page.goto(server + "/risk")
    page.select_option("#scenario", "partial-licence")
    page.fill("#paths", "2000")
    page.click("#scenario-form button[type=submit]")
    page.locator("#fan canvas").wait_for()
    assert int(page.get_attribute("#fan", "data-drawn")) == 12
    assert page.locator("#survival tbody tr").count() > 0
    _shot(page, "risk-scenario")
    assert page.console_errors == []


def test_narrow_screen_and_keyboard(server, browser):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.goto(server + "/?month=2025-06")
    # the page itself never scrolls sideways; wide tables scroll inside their wrapper
    assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.textContent") == "Skip to content"
    pg.keyboard.press("Enter")
    pg.focus("#month")
    pg.keyboard.press("End")
    oldest = pg.evaluate("document.querySelector('#month').value")
    pg.keyboard.press("Tab")
    with pg.expect_navigation():
        pg.keyboard.press("Enter")                  # the Show button, reached by Tab
    assert pg.url.endswith(f"?month={oldest}")
    assert pg.inner_text("h1").endswith(oldest)
    pg.goto(server + "/events")
    _shot(pg, "events-narrow")
    pg.goto(server + "/partner/USA")
    pg.locator("#chart canvas").wait_for()
    assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()
    assert errors == []
