"""The brief for a reader's focus round-trips through the claim checker: ``brief --focus DEU``
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
