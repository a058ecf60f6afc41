"""The brief as a reader meets it: words not codes, every number formatted, no empty figure,
one count of destinations, a headline for thin months, and ``focus`` leading with a destination."""

from __future__ import annotations

import re

import pytest

from magwatch.codes import countries
from magwatch.errors import ParameterError
from magwatch.report.brief import build
from magwatch.report.words import headline_pct
from magwatch.report.check import Checker

THIN = {"2024-02": "3,326 t", "2016-12": "2,532 t"}


@pytest.fixture(scope="module")
def briefs(handle):
    """Every month with a figure, Markdown and HTML (the scenario only where the tests read it)."""
    months = sorted(set(Checker(handle).known_months()))
    assert len(months) >= 30
    return {m: build(handle, m, formats=("md",), charts=False, paths=100,
                     scenario="repeat-2025-04" if m in ("2025-06", "2024-02") else None) for m in months}


def _prose_md(md: str) -> list[str]:
    """Sentence lines of a Markdown brief: no footnote definitions, no URLs, no table alignment row."""
    body = md.split("\n## Sources")[0]
    lines = [re.sub(r"<https?://[^>]+>|\[\^\d+\]", "", line) for line in body.splitlines()]
    return [line for line in lines if line.strip() and not re.fullmatch(r"[|\s:-]+", line)]


def _prose_html(html: str) -> list[str]:
    body = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    body = re.sub(r'<ol class="notes">.*?</ol>', "", body, flags=re.S)
    body = re.sub(r"<sup[^>]*>.*?</sup>", "", body, flags=re.S)
    text = re.sub(r"<[^>]+>", "\n", body)
    return [line for line in text.splitlines() if line.strip()]


def _codes_in(line: str) -> list[str]:
    return [c for c in re.findall(r"\b[A-Z]{3}\b", line) if countries.is_known(c)]


def _bare_thousands(line: str) -> list[str]:
    """Numbers of 1,000 or more written without a thousands separator (years and codes allowed)."""
    out = []
    for m in re.finditer(r"(?<![\d,.\-/#])\d{4,}(?:\.\d+)?(?![\d,]|\.[a-z])", line):
        before = line[max(0, m.start() - 12):m.start()]
        if re.fullmatch(r"(19|20)\d\d", m.group(0)) or re.search(r"\b(CN|HS|HTS|Order|No|row|seed)\s$", before):
            continue
        out.append(m.group(0))
    return out


def _problems(lines: list[str]) -> list[str]:
    bad = []
    for line in lines:
        if "unknown amount" in line or re.search(r"\bno data\b", line):
            bad.append(f"no-figure words: {line}")
        if re.search(r"\b(?:of|for|to|in|at|by|was|were|with|from)\s{2,}(?:of|for|to|in|at|by|from|t)\b", line):
            bad.append(f"empty figure: {line}")
        if _codes_in(line):
            bad.append(f"codes {_codes_in(line)}: {line}")
        if _bare_thousands(line):
            bad.append(f"unformatted {_bare_thousands(line)}: {line}")
    return bad


def test_the_checks_catch_what_the_issue_saw():
    assert _problems(["KOR reports imports from China of  for 2024"])
    assert _problems(["DEU reports imports from China of 11000 t for 2024"])
    assert _problems(["China's rare-earth magnet exports changed by an unknown amount no data in February 2024"])
    assert not _problems(["Germany reports imports from China of 11,000 t for 2024 (HTS 8505110070)."])


def test_every_brief_reads_in_words_with_formatted_figures(briefs):
    bad = {m: _problems(_prose_md(b.markdown)) + _problems(_prose_html(b.html)) for m, b in briefs.items()}
    assert {m: p for m, p in bad.items() if p} == {}


def test_one_count_of_destinations_per_brief(briefs):
    for month, b in briefs.items():
        counts = set(re.findall(r"among (?:the )?(\d+) destinations", b.markdown))
        assert len(counts) <= 1, (month, counts)


def test_no_empty_table_in_a_month_without_destinations(briefs):
    for month in THIN:
        md = briefs[month].markdown
        assert "| Destination |" not in md and "| destination |" not in md
        assert "No destination has a figure" in md


@pytest.mark.parametrize("month", sorted(THIN))
def test_thin_month_headline_states_what_exists(briefs, month):
    head = briefs[month].markdown.splitlines()[0]
    assert THIN[month] in head and briefs[month].facts["month_name"] in head
    assert "unknown" not in head and "no data" not in head
    assert "no destination figures" in head


def test_missing_is_said_in_plain_words(briefs):
    missing = briefs["2025-06"].markdown.split("## What is missing")[1].split("## Sources")[0]
    assert "The world total's year-on-year change is as reported by timeslive.co.za; June 2024 has no figure" \
        in missing
    assert "Vietnam and Thailand are ranked by a source but have no tonnage in the store" in missing
    assert not _codes_in(missing)


def test_headline_rounds_as_news_does_and_the_body_keeps_the_decimal(briefs):
    md = briefs["2025-06"].markdown
    assert md.startswith("# China's rare-earth magnet exports to the United States jumped 661% in June 2025")
    assert "660.8%" in md.split("\n", 1)[1]
    assert (headline_pct(660.84), headline_pct(-6.04), headline_pct(10.4)) == ("661%", "6.0%", "10%")


def _first_sentences(md: str) -> tuple[str, str]:
    head = md.splitlines()[0]
    lede = next(line for line in md.splitlines()[1:] if line.strip() and not line.startswith(("*", "#")))
    return head, lede


def test_focus_germany_leads_with_germany(handle):
    b = build(handle, "2025-10", formats=("md",), charts=False, paths=100, focus="DEU")
    head, lede = _first_sentences(b.markdown)
    assert "Germany" in head and "13%" in head and "1,118 t" in head
    assert lede.startswith("In October 2025, shipments to Germany fell 13.2%")
    assert re.search(r"Germany came first among the destinations with a figure(\[\^\d+\])?, with 20\.4% of the total",
                     b.markdown)
    risk = b.markdown.split("## Risk outlook")[1]
    assert "the European Union's importers (where Germany is modelled)" in risk and "conventional vehicles" in risk


def test_focus_eu_leads_with_the_european_union(handle):
    b = build(handle, "2025-10", formats=("md",), charts=False, paths=100, focus="euu")
    head, lede = _first_sentences(b.markdown)
    assert "the European Union" in head and "European Union" in lede
    assert "the European Union's importers have" in b.markdown


def test_default_lead_is_the_biggest_move(handle):
    head, _ = _first_sentences(build(handle, "2025-10", formats=("md",), charts=False, scenario=None).markdown)
    assert head.startswith("# China's rare-earth magnet exports to the United States rose 56%")


def test_focus_without_a_figure_says_so(handle):
    b = build(handle, "2026-03", formats=("md",), charts=False, scenario=None, focus="DEU")
    head, lede = _first_sentences(b.markdown)
    assert head.startswith("# No figure for China's rare-earth magnet exports to Germany in March 2026")
    assert lede.startswith("The store has no tonnage for Germany in March 2026")


def test_focus_must_be_a_destination(handle):
    with pytest.raises(ParameterError):
        build(handle, "2025-10", formats=("md",), charts=False, scenario=None, focus="XXQ")


def test_html_fits_a_phone(handle):
    html = build(handle, "2025-06", formats=("html",), charts=False, scenario=None).html
    assert 'name="viewport"' in html and "@media (max-width" in html
    assert 'class="table-wrap"' in html and 'data-label="Net weight"' in html
    assert re.search(r"img, svg \{ max-width: 100%", html)
