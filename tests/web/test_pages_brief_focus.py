"""The overview's focus selector leads the page with the reader's destination (``/?focus=DEU``),
as the brief does. The brief for a reader's focus round-trips through the claim checker: ``brief --focus DEU``
and ``--focus EUU`` for October 2025 (``-m slow``: for every month with data) check as
consistent against the same store, and their prose holds no empty figure, no "unknown
amount", no country code and no unformatted number (the reader checks of
tests/report/test_brief_reader.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import magwatch
from magwatch.report.brief import build
from magwatch.report.check import CONSISTENT, NOT_CHECKED, Checker, check_text


@pytest.fixture(scope="module")
def reader(bundled_db: Path):
    with magwatch.open(bundled_db, read_only=True) as handle:
        yield handle, Checker(handle)


def _wrong(handle, checker, month: str, focus: str) -> list[tuple]:
    from tests.report.test_brief_reader import _problems, _prose_md

    md = build(handle, month, formats=("md",), charts=False, paths=200, focus=focus).markdown
    verdicts = check_text(handle, md, checker=checker)
    assert any(v.verdict == CONSISTENT for v in verdicts), f"no consistent claim in the {focus} {month} brief"
    wrong = [(month, focus, v.claim.sentence_no, v.verdict, v.claim.metric, v.claim.partner, v.claimed,
              v.computed, v.reason) for v in verdicts if v.verdict not in (CONSISTENT, NOT_CHECKED)]
    return wrong + [(month, focus, problem) for problem in _problems(_prose_md(md))]


@pytest.mark.parametrize("focus", ["DEU", "EUU"])
def test_focus_brief_checks_as_consistent(reader, focus):
    handle, checker = reader
    assert _wrong(handle, checker, "2025-10", focus) == []


@pytest.mark.slow
def test_every_month_focus_brief_checks_as_consistent(reader):
    handle, checker = reader
    months = sorted(set(checker.known_months()))
    assert len(months) >= 30
    assert [w for m in months for f in ("DEU", "EUU") for w in _wrong(handle, checker, m, f)] == []


@pytest.fixture(scope="module")
def pages(bundled_db: Path, tmp_path_factory):
    import shutil

    from fastapi.testclient import TestClient

    from magwatch.web.app import create_app

    copy = tmp_path_factory.mktemp("focus") / "store.duckdb"
    shutil.copy(bundled_db, copy)
    return TestClient(create_app(copy, token=None))


def _text(page) -> str:
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", " ", page.text))


def test_the_overview_leads_with_the_focus_destination(pages):
    page = pages.get("/?month=2025-10&focus=DEU")
    assert page.status_code == 200
    lead = _text(page).split("Germany, October 2025", 1)[1].split("World total", 1)[0]
    partners = _partners(pages, "2025-10")
    row = next(p for p in partners if p["partner"] == "DEU")
    held = sum(1 for p in partners if p["net_weight_t"] is not None)
    for figure in (f"{row['net_weight_t']:,.0f} t", f"{row['mom_pct']:+.1f}%", f"{row['yoy_pct']:+.1f}%",
                   f"{row['rank']} of {held}", f"{row['share_pct']:.1f}%"):
        assert figure in lead, figure
    assert '<option value="DEU" selected>Germany</option>' in page.text


def _partners(pages, month: str) -> list[dict]:
    """The month's destination rows as the monitor gives them."""
    with magwatch.open(pages.app.state.access.path, read_only=True) as mw:
        return mw.monitor(month).to_dict()["partners"]


def test_a_group_or_a_month_without_the_destination_says_so(pages):
    eu = _text(pages.get("/?month=2025-10&focus=EUU"))
    assert "European Union, October 2025" in eu and "not ranked" in eu
    thin = _text(pages.get("/?month=2026-02&focus=JPN"))
    assert "No figure for Japan in January–February 2026 combined in the store" in thin


def test_an_unknown_focus_is_an_html_page_naming_the_parameter(pages):
    page = pages.get("/?focus=FRA")
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert "focus" in page.text and "DEU" in page.text and "Traceback" not in page.text
