"""The dashboard pages as a reader sees them: words not codes, ranks kept apart, honest
concentration, the default month, the partner's span and numbered events, the risk reading, and
no tuple or raw repr in any JSON field or table cell of the API and the pages."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from magwatch.web.app import create_app

#: A Python repr or a tuple in visible text: ('EUU', ...), <object at 0x...>, Decimal('1')
REPR = re.compile(r"\('[^']*',|<\w[\w.]* object at 0x|\b(?:Decimal|datetime\.date|np\.float\d*)\(")
#: A snake_case word (two or more parts), as a header would show a column key
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


@pytest.fixture(scope="module")
def client(bundled_db: Path, tmp_path_factory) -> TestClient:
    copy = tmp_path_factory.mktemp("webpages") / "store.duckdb"
    shutil.copy(bundled_db, copy)
    return TestClient(create_app(copy, token=None), raise_server_exceptions=False)


class _Cells(HTMLParser):
    """Visible text: headers, cells and the whole body (scripts and styles left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self.cells: list[str] = []
        self.text: list[str] = []
        self._stack: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self._stack.append(tag)
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            (self.headers if "thead" in self._stack else self.cells).append(text)
            self._cell = None
        while self._stack and self._stack.pop() != tag:
            pass

    def handle_data(self, data):
        if any(t in ("script", "style") for t in self._stack):
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def visible(html: str) -> _Cells:
    parser = _Cells()
    parser.feed(html)
    return parser


PAGES = ["/", "/?month=2025-06", "/?month=2024-02", "/partner/USA", "/partner/DEU?span=all",
         "/partner/EUU", "/events", "/events/study?event=ev-2025-04-04&partner=USA",
         "/provenance?partner=USA&period=2025-06", "/risk", "/risk?scenario=full-stop-6m&paths=300"]


@pytest.mark.parametrize("url", PAGES)
def test_no_repr_or_snake_case_in_any_page(client, url):
    page = client.get(url)
    assert page.status_code == 200, page.text[:300]
    seen = visible(page.text)
    text = " ".join(seen.text)
    assert not REPR.search(text), REPR.search(text)
    for header in seen.headers:
        assert not SNAKE.search(header), f"{url}: header {header!r}"
    for cell in seen.cells:
        assert not REPR.search(cell), f"{url}: cell {cell!r}"


# Every JSON field of the API's answers: tests/web/test_pages_no_tuple.py (reprs and printed tuples).


def test_overview_speaks_words_and_keeps_ranks_apart(client):
    page = client.get("/", params={"month": "2025-06"}).text
    assert "China&#39;s rare-earth magnet exports (CN 85051110), June 2025" in page
    assert "CHN exports of" not in page
    ranks = re.findall(r'<td data-label="Rank">(.*?)</td>', page, re.S)
    computed = [re.sub(r"<small.*", "", r, flags=re.S).strip() for r in ranks]
    numbers = [c for c in computed if c != "–"]
    assert numbers == sorted(set(numbers), key=int), computed        # no two #1s, no gaps mixed in
    assert "#3 per vnnow.net" in page                                 # VNM: reported, not computed
    assert 'id="chart-data"' in page and "Numbered dashed lines" in page


@pytest.mark.parametrize("month", ["2026-01", "2026-02"])
def test_overview_of_a_january_february_figure(client, month):
    """China reports January and February 2026 as one figure: either month opens its page."""
    r = client.get("/", params={"month": month})
    assert r.status_code == 200, r.text[-400:]
    assert 'id="chart-data"' in r.text
    assert "<h1>China&#39;s rare-earth magnet exports (CN 85051110), January–February 2026 combined</h1>" in r.text
    assert '<option value="2026-02" selected>January–February 2026 combined</option>' in r.text
    assert "none:" not in r.text                    # the basis word for 'no change' is not shown


def test_a_thin_month_says_why_it_has_no_change_in_words(client):
    r = client.get("/", params={"month": "2024-02"})
    assert "<small>February has no m/m when January and February are published combined</small>" in r.text


def test_an_event_study_reads_in_words():
    from magwatch.web.pages import study_words

    line = ("Event ev-2025-04-04 (2025-04-04, export_control, China MOFCOM/GAC). Series: China "
            "exports of 85051110 to USA, net weight, tonnes; window 2025-01..2025-07")
    assert study_words(line) == ("Event ev-2025-04-04 (4 April 2025, export control, China MOFCOM/GAC). "
                                 "Series: China rare-earth magnet exports (CN 85051110) to United States, "
                                 "net weight, tonnes; window January 2025 to July 2025")


def test_overview_opens_on_the_latest_month_with_a_world_total(client, bundled_db, tmp_path):
    import magwatch

    copy = tmp_path / "store.duckdb"
    shutil.copy(bundled_db, copy)
    extra = tmp_path / "one_row.csv"     # a test row for a month after the data, no world total
    extra.write_text("reporter,partner,flow,commodity,period,net_weight_t\n"
                     "CHN,USA,X,85051110,2026-09,100\n")
    with magwatch.open(copy) as mw:
        mw.import_file(extra, vintage="2026-10-20")
    own = TestClient(create_app(copy, token=None), raise_server_exceptions=False)
    page = own.get("/").text
    assert "September 2026 has figures for 1 destination but no world total yet" in page
    assert "HHI" not in page.split("<footer")[0] or "No concentration figure" in page
    thin = own.get("/", params={"month": "2026-09"}).text
    assert "No concentration figure: the month has no world total" in thin
    assert "HHI 10,000" not in thin


def test_partner_page_span_and_numbered_events(client):
    page = client.get("/partner/USA").text
    assert "the last 24 months" in page and 'id="all-years"' in page
    numbers = re.findall(r'<table id="partner-events">.*?</table>', page, re.S)[0]
    listed = [int(n) for n in re.findall(r'<th scope="row">(\d+)</th>', numbers)]
    assert listed == list(range(1, len(listed) + 1)) and listed
    chart = re.search(r'id="chart-data">(.*?)</script>', page, re.S).group(1)
    assert len(re.findall(r'"periods"', chart)) == 1 and chart.count('"n":') == len(listed)
    everything = client.get("/partner/USA", params={"span": "all"}).text
    assert "all years" in everything and len(everything) > len(page)
    assert client.get("/partner/USA", params={"span": "5y"}).status_code == 400


def test_bad_partner_is_an_html_page_suggesting_the_code(client):
    page = client.get("/partner/Germny")
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert "parameter &#39;partner&#39;" in page.text and 'href="/partner/DEU"' in page.text
    api = client.get("/api/v1/flows", params={"partner": "Germny"})
    assert api.headers["content-type"].startswith("application/problem+json")
    assert "did you mean DEU (Germany)?" in api.json()["detail"]


def test_a_country_name_in_an_address_is_its_code(client):
    page = client.get("/partner/Germany", params={"span": "all"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/partner/DEU?span=all"
    assert client.get("/partner/south%20korea", follow_redirects=False).headers["location"] == \
        "/partner/KOR"
    api = client.get("/api/v1/flows", params={"partner": "Germany", "period": "2025-06"})
    assert api.status_code == 200
    assert {r["partner"] for r in api.json()["rows"]} == {"DEU"}


def test_risk_page_reads_the_scenario_and_shows_names(client):
    page = client.get("/risk").text
    reading = re.search(r'<p class="reading" id="reading">(.*?)</p>', page, re.S).group(1)
    assert re.search(r"in the European Union, makers of [a-z ]+ (?:run out of magnets|do not run out)", reading)
    assert "P10–P90" in reading or "do not run out" in reading
    assert "European Union" in page and "graphite" not in page
    assert "tts_months" not in page.split('id="fan-data"')[0]
