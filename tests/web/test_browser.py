"""The dashboard in a real browser: uvicorn on a free 127.0.0.1 port, Debian chromium via Playwright.

Every page and the HTML brief at 1366x900 and 390x844: no sideways scroll, no overlapping chart
labels (from the label boxes the chart records), no Python repr or snake_case in visible text,
no serious or critical axe-core violation. Screenshots are test artefacts under the run's
temporary folder; ``MAGWATCH_DOC_SHOTS=1`` also copies them to docs/img (done deliberately, not on
every run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
DOC_IMAGES = ROOT / "docs" / "img"
VIEWPORTS = {"wide": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
PAGES = {"overview": "/", "overview-2025-06": "/?month=2025-06", "overview-2024-02": "/?month=2024-02",
         "overview-DEU": "/?month=2025-10&focus=DEU", "overview-EUU-2026-02": "/?month=2026-02&focus=EUU",
         "partner-USA": "/partner/USA", "partner-DEU-all": "/partner/DEU?span=all",
         "partner-EUU": "/partner/EUU", "events": "/events",
         "study": "/events/study?event=ev-2025-04-04&partner=USA",
         "provenance": "/provenance?partner=USA&period=2025-06", "risk": "/risk",
         "risk-full-stop": "/risk?scenario=full-stop-6m&paths=300", "bad-partner": "/partner/Germny"}
REPR = re.compile(r"\('[^']*',|<\w[\w.]* object at 0x|\b(?:Decimal|np\.float\d*)\(")
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
#: A column key or a code name in running text (``export_control``); a file name
#: (``china_magnet_exports_monthly.csv``) and a formula's ``f_i`` are not.
SNAKE_TEXT = re.compile(r"\b[a-z]{2,}(?:_[a-z0-9]+)+\b(?!\.\w)")


@pytest.fixture(scope="module")
def server(bundled_db: Path, tmp_path_factory, serve_web):
    pytest.importorskip("uvicorn", reason="uvicorn is not installed (pip install uvicorn)")
    copy = tmp_path_factory.mktemp("browser") / "store.duckdb"
    shutil.copy(bundled_db, copy)
    with serve_web(copy) as (_, base):
        yield base


@pytest.fixture(scope="session")
def axe():
    module = pytest.importorskip("axe_playwright_python.sync_playwright",
                                 reason="axe-playwright-python is not installed (pip install -e .[test])")
    return module.Axe()


def _context_page(browser, viewport):
    context = browser.new_context(viewport=viewport)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    pg.console_errors = errors
    return context, pg


@pytest.fixture
def page(browser):
    context, pg = _context_page(browser, VIEWPORTS["wide"])
    yield pg
    context.close()


def _shot(page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("MAGWATCH_DOC_SHOTS") == "1":
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOC_IMAGES / path.name)
    return path


def _overlaps(boxes: list[dict]) -> list[tuple[int, int]]:
    out = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and \
               a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]:
                out.append((a["n"], b["n"]))
    return out


#: Words of visible text split across two lines (a table squeezed until "2025" reads "20 / 25"
#: or "trade deal" reads "tra / de dea / l"). A word is a run without a space, hyphen or slash
#: (a line may break there); a run longer than 24 characters between spaces (a URL, a file
#: name) may break anywhere, and so may Chinese or Japanese text.
BROKEN_WORDS_JS = """(root) => {
  const out = [];
  const walker = document.createTreeWalker(document.querySelector(root), NodeFilter.SHOW_TEXT);
  const cjk = /[\u3000-\u9fff\uff00-\uffef]/;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const chunk of node.textContent.matchAll(/\\S+/g)) {
      if (chunk[0].length > 24 || cjk.test(chunk[0])) continue;
      for (const m of chunk[0].matchAll(/[^\\-\u2013\\/]+/g)) {
        const range = document.createRange();
        range.setStart(node, chunk.index + m.index);
        range.setEnd(node, chunk.index + m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
                             .map(r => Math.round(r.top)));
        if (tops.size > 1) out.push(m[0]);
      }
    }
  }
  return out;
}"""

#: Tables whose wrapper scrolls sideways: a column the reader has to scroll to (at 1366 px
#: none may; at 390 px a table stacks its rows or hides secondary columns instead).
SCROLLING_TABLES_JS = """() => [...document.querySelectorAll('.table-wrap')]
  .filter(e => e.scrollWidth > e.clientWidth + 1)
  .map(e => (e.querySelector('table') || {}).id || '(a table without id)')"""


def _broken_words(pg, root: str = "main") -> list[str]:
    return pg.evaluate(BROKEN_WORDS_JS, root)


def _check_page(pg, axe, url: str) -> None:
    """The reader's checks on one loaded page."""
    assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), \
        f"{url} scrolls sideways at {pg.viewport_size['width']} px"
    broken = _broken_words(pg)
    assert broken == [], f"{url} at {pg.viewport_size['width']} px: words split across lines: {broken[:12]}"
    scrolling = pg.evaluate(SCROLLING_TABLES_JS)
    assert scrolling == [], f"{url} at {pg.viewport_size['width']} px: tables scrolling sideways: {scrolling}"
    for chart in pg.locator(".chart").all():
        raw = chart.get_attribute("data-label-boxes")
        if raw:
            assert _overlaps(json.loads(raw)) == [], f"{url}: overlapping event labels"
    text = pg.inner_text("main")
    assert not REPR.search(text), f"{url}: {REPR.search(text)}"
    assert SNAKE_TEXT.findall(text) == [], f"{url}: snake_case in the text"
    for header in pg.locator("thead th").all_inner_texts():
        assert not SNAKE.search(header), f"{url}: header {header!r}"
    results = axe.run(pg)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert bad == [], f"{url}: " + "; ".join(f"{v['id']} ({len(v['nodes'])} nodes)" for v in bad)


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_every_page_reads_well_at_both_widths(server, browser, axe, tmp_path, width):
    context, pg = _context_page(browser, VIEWPORTS[width])
    try:
        for name, url in PAGES.items():
            pg.goto(server + url)
            if pg.locator(".chart").count():
                pg.locator(".chart canvas").first.wait_for()
            _check_page(pg, axe, url)
            _shot(pg, tmp_path, f"{name}-{width}")
        # the bad-partner page answers 400 on purpose; nothing else may log an error
        assert [e for e in pg.console_errors if "status of 400" not in e] == []
    finally:
        context.close()


@pytest.fixture(scope="module")
def html_briefs(bundled_db, tmp_path_factory) -> dict[str, Path]:
    """The HTML brief for June 2025 (the month's biggest move leads) and for a German reader's
    October 2025 (``--focus DEU``), written by the CLI as a reader would."""
    from typer.testing import CliRunner

    from magwatch.cli import _register, app

    _register()
    out = tmp_path_factory.mktemp("briefs")
    db = out / "store.duckdb"
    shutil.copy(bundled_db, db)
    written = {}
    for name, args in {"brief": ["--month", "2025-06"],
                       "brief-DEU": ["--month", "2025-10", "--focus", "DEU"]}.items():
        folder = out / name
        done = CliRunner().invoke(app, ["--db", str(db), "brief", *args, "--format", "html",
                                        "--out", str(folder), "--paths", "300"])
        assert done.exit_code == 0, done.output
        written[name] = sorted(folder.glob("*.html"))[0]
    return written


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_html_brief_reads_well_at_both_widths(html_briefs, browser, axe, tmp_path, width):
    context, pg = _context_page(browser, VIEWPORTS[width])
    try:
        for name, html in html_briefs.items():
            pg.goto(html.as_uri())
            assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), \
                f"{name} scrolls sideways at {width}"
            text = pg.inner_text("body")
            assert not REPR.search(text), f"{name}: {REPR.search(text)}"
            assert _broken_words(pg, "body") == [], f"{name} at {width}: words split across lines"
            assert pg.evaluate(SCROLLING_TABLES_JS) == [], f"{name} at {width}: a table scrolls sideways"
            for header in pg.locator("thead th").all_inner_texts():
                assert not SNAKE.search(header), f"{name}: header {header!r}"
            results = axe.run(pg)
            bad = [v["id"] for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
            assert bad == [], f"{name} at {width}: {bad}"
            _shot(pg, tmp_path, f"{name}-{width}")
        assert "Germany" in pg.inner_text("h1")
    finally:
        context.close()


def test_pick_june_2025_and_see_353_t_for_the_us(server, page, tmp_path):
    page.goto(server + "/")
    page.select_option("#month", "2025-06")
    page.click("form.picker button[type=submit]")
    page.wait_for_url("**/?month=2025-06")
    assert page.inner_text("h1").endswith("June 2025")
    assert page.inner_text("#world-total") == "3,188 t"
    us_row = page.locator('#partners tr[data-partner="USA"]')
    assert "353 t" in us_row.inner_text()
    us_row.locator("a", has_text="353 t").click()
    page.wait_for_url("**/provenance?partner=USA&period=2025-06")
    assert "353 t" in page.inner_text("#observations")
    assert "timeslive.co.za" in page.inner_text("#observations")
    page.goto(server + "/?month=2025-06")
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
        assert "United States' imports from China (mirror)" in page.inner_text("#chart")
        assert page.console_errors == []


def test_scenario_fan_chart(server, page, tmp_path):
    page.goto(server + "/risk")
    page.select_option("#scenario", "partial-licence")
    page.fill("#paths", "2000")
    page.click("#scenario-form button[type=submit]")
    page.locator("#fan canvas").wait_for()
    assert int(page.get_attribute("#fan", "data-drawn")) == 12
    assert page.locator("#survival tbody tr").count() > 0
    _shot(page, tmp_path, "risk-scenario")
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
    pg.keyboard.press("Tab")                        # the focus selector: Germany by its name
    assert pg.evaluate("document.activeElement.id") == "focus"
    pg.keyboard.type("Germany")
    pg.keyboard.press("Tab")
    with pg.expect_navigation():
        pg.keyboard.press("Enter")                  # the Show button, reached by Tab
    assert pg.url.endswith(f"?month={oldest}&focus=DEU")
    from magwatch.periods import Month

    assert pg.inner_text("h1").endswith(Month.parse(oldest).label())
    assert pg.inner_text("#focus-h").startswith("Germany")
    pg.goto(server + "/events")
    pg.goto(server + "/partner/USA")
    pg.locator("#chart canvas").wait_for()
    assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()
    assert errors == []
