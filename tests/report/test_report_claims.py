"""The claim extractor: deterministic reading of many phrasings (no store needed)."""

from __future__ import annotations

import pytest

from magwatch.report.claims import extract, interval

DATELINE = "BEIJING, July 20, 2025 (Wire) - "


def one(text: str, metric: str):
    found = [c for c in extract(text) if c.metric == metric]
    assert len(found) == 1, [(c.metric, c.value, c.text) for c in extract(text)]
    return found[0]


@pytest.mark.parametrize("text, value, partner", [
    ("China shipped 353 tonnes of rare-earth magnets to the United States in June 2025.", 353, "USA"),
    ("Magnet exports to the U.S. reached 353 metric tons in June 2025.", 353, "USA"),
    ("In June 2025 the US took 353t of Chinese rare earth magnets.", 353, "USA"),
    ("China's total rare earth magnet exports were 3,188 tonnes in June 2025.", 3188, "WLD"),
    ("China's magnet exports came to 3.188 thousand tonnes in June 2025.", 3188, "WLD"),
    ("Germany bought 764 tons of magnets from China in June 2025.", 764, "DEU"),
    ("Shipments of magnets to South Korea were 280 t in June 2025.", 280, "KOR"),
    ("The EU received 1,364 tonnes of rare-earth magnets in June 2025.", 1364, "EUU"),
])
def test_tonnage_phrasings(text, value, partner):
    c = one(text, "net_weight_t")
    assert c.value == pytest.approx(value)
    assert c.partner == partner
    assert c.period == "2025-06"
    assert c.commodity == "85051110"


@pytest.mark.parametrize("text, metric, value", [
    (DATELINE + "Magnet exports to the US jumped 660% in June from May.", "mom_pct", 660),
    (DATELINE + "Exports of magnets to the US were up 660 percent month-on-month in June.", "mom_pct", 660),
    (DATELINE + "US-bound magnet shipments rose 660% m/m in June.", "mom_pct", 660),
    (DATELINE + "World magnet exports fell 38% year-on-year in June.", "yoy_pct", -38),
    (DATELINE + "Total magnet exports were down 38.1% from a year earlier in June.", "yoy_pct", -38.1),
    (DATELINE + "Overall magnet exports declined 38% y/y in June.", "yoy_pct", -38),
    (DATELINE + "Total magnet exports posted a 157.5% increase from the previous month in June.", "mom_pct", 157.5),
    (DATELINE + "China's magnet exports in June were -38% compared with the same month last year.", "yoy_pct", -38),
    (DATELINE + "Magnet exports rose 157.5% in June.", "change_pct", 157.5),
])
def test_change_phrasings(text, metric, value):
    c = one(text, metric)
    assert c.value == pytest.approx(value)
    assert c.period == "2025-06"


def test_month_from_dateline_and_context():
    text = ("BEIJING, Aug 20 (Wire) - China's magnet exports rose to 5,577 tonnes last month. "
            "Exports in 2025 so far are below last year's pace. They went mostly to Germany.")
    c = one(text, "net_weight_t")
    # the dateline has no year; the text states 2025, so "last month" is July 2025
    assert c.period == "2025-07" and any("year from a year stated in the text" in r for r in c.resolved)
    # no year anywhere and nothing else to go by: the month cannot be placed
    undated = one("BEIJING, Aug 20 (Wire) - China's magnet exports rose to 5,577 tonnes last month.",
                  "net_weight_t")
    assert undated.period is None and "month" in undated.problems[0]
    # ... unless the store says which August is meant: the latest one whose July has a figure
    stored = extract("BEIJING, Aug 20 (Wire) - China's magnet exports rose to 5,577 tonnes last month.",
                     known_months=["2024-07", "2025-07"])
    assert stored[0].period == "2025-07"
    text2 = "Dateline: 2025-08-20. China's magnet exports rose to 5,577 tonnes last month."
    assert one(text2, "net_weight_t").period == "2025-07"
    text3 = ("China reported magnet data for July 2025 on Wednesday. Shipments of magnets "
             "to the US were 619 t.")
    assert one(text3, "net_weight_t").period == "2025-07"


def test_base_figure_takes_its_own_month():
    c = [x for x in extract(DATELINE + "US magnet imports from China rose to 353 t in June, up from 46 t in May.")
         if x.metric == "net_weight_t"]
    assert [(x.value, x.period) for x in c] == [(353, "2025-06"), (46, "2025-05")]


@pytest.mark.parametrize("text, ranks", [
    (DATELINE + "Germany was the top destination for magnets in June, followed by the US and Vietnam.",
     {"DEU": 1, "USA": 2, "VNM": 3}),
    (DATELINE + "The US was the second-largest buyer of Chinese magnets in June.", {"USA": 2}),
    (DATELINE + "In June the largest magnet destinations were Germany, the United States, Vietnam, "
                "South Korea and Thailand.", {"DEU": 1, "USA": 2, "VNM": 3, "KOR": 4, "THA": 5}),
    (DATELINE + "Among magnet buyers in June, Germany first, the US second.", {"DEU": 1, "USA": 2}),
    (DATELINE + "South Korea, the fourth-biggest market for the magnets, took 280 t in June.", {"KOR": 4}),
])
def test_rank_phrasings(text, ranks):
    got = {c.partner: int(c.value) for c in extract(text) if c.metric == "rank"}
    assert got == ranks
    assert all(c.period == "2025-06" for c in extract(text) if c.metric == "rank")


@pytest.mark.parametrize("text, metric, since, window", [
    ("China's magnet exports hit a six-month high of 5,577 t in July 2025.", "record_high", None, 6),
    ("Magnet exports in July 2025 were the highest since January.", "record_high", "2025-01", 6),
    ("US magnet shipments in October 2025 were their highest since January 2025.", "record_high", "2025-01", 9),
    ("Magnet exports in May 2025 were the lowest in nearly five years.", "record_low", None, 60),
    ("Magnet exports sank to a multi-year low in May 2025.", "record_low", None, 24),
    ("In March 2026 US magnet shipments hit a nine-month low.", "record_low", None, 9),
])
def test_record_phrasings(text, metric, since, window):
    c = one(text, metric)
    assert c.since == since
    assert c.window_months == window


@pytest.mark.parametrize("text, metric, value", [
    (DATELINE + "US magnet shipments in June were about half their level a year earlier.", "ratio_yoy", 0.5),
    (DATELINE + "Magnet exports to the US in June were more than sevenfold the previous month.", "ratio_mom", 7),
    (DATELINE + "Germany's magnet purchases tripled from May in June.", "ratio_mom", 3),
])
def test_ratio_phrasings(text, metric, value):
    c = one(text, metric)
    assert c.value == pytest.approx(value)


def test_shares():
    c = one(DATELINE + "Germany accounted for 24% of China's magnet exports in June.", "share_pct")
    assert (c.partner, c.value, c.period) == ("DEU", 24, "2025-06")
    c = one(DATELINE + "The EU took 43% of all magnet shipments in June.", "share_pct")
    assert c.partner == "EUU"


def test_rounding_intervals():
    assert interval(353, "353", None) == (352.5, 353.5)
    assert interval(3200, "3,200", None) == (3150, 3250)
    lo, hi = interval(350, "350", "about")
    assert lo <= 333 and hi >= 367          # "about" widens to 5%
    assert interval(660, "660", "more than") == (660, None)
    assert interval(157.5, "157.5", None) == (157.45, 157.55)


def test_not_a_trade_claim_and_rare_earths_only():
    assert extract("The meeting lasted 45 minutes and 25% of delegates left early.") == []
    c = extract("China's rare earth exports rose 20% from the previous month in June 2025.")[0]
    assert c.commodity is None and c.scope == "other commodity"


def test_deterministic():
    text = DATELINE + "Total magnet exports rose 157.5% from the previous month to 3,188 t."
    assert [c.as_dict() for c in extract(text)] == [c.as_dict() for c in extract(text)]
