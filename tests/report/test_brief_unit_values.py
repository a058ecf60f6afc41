"""Unit values in the brief, and the claim checker reading them back.

The bundled store's months come from press-reported figures; the series written here are test
figures (not trade data), in a store of their own."""

from __future__ import annotations

import pytest

import magwatch
from magwatch.report.brief import build
from magwatch.report.check import CONSISTENT, INCONSISTENT, NOT_CHECKED, check_text

HEADER = "reporter,partner,flow,commodity,period,net_weight_t,value_usd\n"


def _section(md: str) -> str:
    return md.split("## Unit values")[1].split("## Mirror check")[0]


def _unit_value_verdicts(handle, text, checker=None):
    return [v for v in check_text(handle, text, checker=checker)
            if v.claim.metric.startswith("unit_value")]


def test_the_bundled_brief_gives_unit_values_the_checker_verifies(handle, checker):
    md = build(handle, "2025-05", formats=("md",), charts=False, paths=200).markdown
    section = _section(md)
    assert "exports to the United States had a unit value of US$51.72 per kilogram" in section
    verdicts = _unit_value_verdicts(handle, md, checker)
    assert {(v.claim.partner, v.claim.value) for v in verdicts} == {
        ("WLD", 48.45), ("KOR", 33.33), ("USA", 51.72)}
    assert all(v.verdict == CONSISTENT for v in verdicts)


def test_a_month_without_unit_values_says_so(handle):
    md = build(handle, "2025-06", formats=("md",), charts=False, paths=200).markdown
    assert "so no unit value can be given this month" in _section(md)


@pytest.fixture(scope="module")
def test_store(tmp_path_factory):
    """China's exports to France, test figures: about 50 $/kg for nine months, then 20 $/kg."""
    folder = tmp_path_factory.mktemp("briefuv")
    lines = [f"CHN,FRA,X,85051110,{m},100,{5_000_000 + i * 10_000}" for i, m in enumerate(
        ["2024-08", "2024-12", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06",
         "2025-07"])]
    lines += ["CHN,FRA,X,85051110,2025-08,100,2000000", "CHN,WLD,X,85051110,2025-08,1000,50000000",
              "CHN,WLD,X,85051110,2025-07,900,45000000"]
    (folder / "fra.csv").write_text(HEADER + "\n".join(lines) + "\n")
    with magwatch.open(folder / "s.duckdb") as mw:
        mw.import_file(folder / "fra.csv", vintage="2025-09-20")
        yield mw


def test_changes_and_flags_round_trip(test_store):
    md = build(test_store, "2025-08", formats=("md",), charts=False, scenario=None).markdown
    section = _section(md)
    assert ("exports to France had a unit value of US$20.00 per kilogram" in section
            and "down 60.6%" in section and "down 60.0%" in section)
    assert "Its unit value is flagged: far below the median of its own series" in section
    verdicts = _unit_value_verdicts(test_store, md)
    assert {(v.claim.partner, v.claim.metric) for v in verdicts} >= {
        ("FRA", "unit_value_usd_kg"), ("FRA", "unit_value_mom_pct"), ("FRA", "unit_value_yoy_pct")}
    assert all(v.verdict == CONSISTENT for v in verdicts)


def test_a_wrong_unit_value_is_found_and_oxide_prices_are_not_checked(test_store):
    text = ("In August 2025, exports to France had a unit value of US$25.00 per kilogram, "
            "down 60.6% from the month before.")
    got = {v.claim.metric: v for v in _unit_value_verdicts(test_store, text)}
    assert got["unit_value_usd_kg"].verdict == INCONSISTENT
    assert got["unit_value_mom_pct"].verdict == CONSISTENT and got["unit_value_mom_pct"].claim.partner == "FRA"
    oxide = check_text(test_store, "In August 2025, the unit value of exports to France fell while NdPr "
                                   "oxide prices rose 20% from the month before.")
    assert oxide and all(v.verdict == NOT_CHECKED for v in oxide)


def test_a_unit_value_change_without_its_base_is_matched_against_both(test_store):
    said = "In August 2025, the unit value of exports to France fell 60.6%, to US$20.00 per kilogram."
    got = {v.claim.metric: v for v in _unit_value_verdicts(test_store, said)}
    assert got["unit_value_change_pct"].verdict == CONSISTENT
    assert "matches the unit value's month-on-month change" in got["unit_value_change_pct"].reason
    wrong = "In August 2025, the unit value of exports to France fell 30%, to US$20.00 per kilogram."
    got = {v.claim.metric: v for v in _unit_value_verdicts(test_store, wrong)}
    assert got["unit_value_change_pct"].verdict == INCONSISTENT
