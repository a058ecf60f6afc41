"""Round trip: every figure in a brief magwatch writes checks as consistent against the same store.

The default suite runs a rich month and the thin ones (a single world figure, a month whose
year-earlier base is missing, the newest month); ``-m slow`` runs every month with data.
"""

from __future__ import annotations

import pytest

from magwatch.report.brief import build
from magwatch.report.check import CONSISTENT, NOT_CHECKED, check_text

SAMPLE = ["2016-12", "2024-02", "2025-05", "2025-06", "2025-10", "2026-03"]


def _wrong(handle, checker, month: str) -> list[tuple]:
    md = build(handle, month, formats=("md",), charts=False, paths=200).markdown
    verdicts = check_text(handle, md, checker=checker)
    assert verdicts, f"no claim read from the {month} brief"
    assert any(v.verdict == CONSISTENT for v in verdicts)
    return [(month, v.claim.sentence_no, v.verdict, v.claim.metric, v.claim.partner, v.claim.period,
             v.claimed, v.computed, v.reason) for v in verdicts if v.verdict not in (CONSISTENT, NOT_CHECKED)]


@pytest.mark.parametrize("month", SAMPLE)
def test_brief_checks_as_consistent(handle, checker, month):
    assert _wrong(handle, checker, month) == []


@pytest.mark.slow
def test_every_brief_checks_as_consistent(handle, checker):
    months = sorted(set(checker.known_months()))
    assert len(months) >= 30
    wrong = [w for m in months for w in _wrong(handle, checker, m)]
    assert wrong == []


def test_scenario_figures_in_a_brief_are_not_read_as_observations(handle, checker):
    md = build(handle, "2025-10", formats=("md",), charts=False, paths=200).markdown
    scoped = [v for v in check_text(handle, md, checker=checker) if v.verdict == NOT_CHECKED]
    assert any(v.claim.scope == "scenario" for v in scoped)
    # Germany's 1,118 t stays Germany's, next to the United States in the same sentence
    germany = [v for v in check_text(handle, md, checker=checker)
               if v.claim.metric == "net_weight_t" and v.claim.value == 1118]
    assert germany and {v.claim.partner for v in germany} == {"DEU"}
