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


AS_OF = "2025-07-25"


def claims_of(text: str) -> list[tuple]:
    return [(c.metric, c.partner, c.period, c.months) for c in extract(text, as_of=AS_OF)]


def test_a_fraction_of_a_named_month_is_a_ratio_of_the_subject_month():
    c = [c for c in extract("Shipments to the United States fell to 246 tonnes in April, less than a third "
                            "of March's level.", as_of=AS_OF) if c.metric.startswith("ratio")][0]
    assert (c.metric, c.period, c.low, c.high) == ("ratio_mom", "2025-04", None, pytest.approx(1 / 3))


def test_by_a_fraction_is_a_change():
    c = extract("South Korea's magnet purchases dropped by a third from May in June.", as_of=AS_OF)[0]
    assert (c.metric, c.partner, c.period) == ("mom_pct", "KOR", "2025-06")
    assert c.value == pytest.approx(-100 / 3) and c.low < -100 / 3 < c.high < 0


def test_more_than_halved_is_below_half():
    c = extract("China's magnet exports more than halved in May from April.", as_of=AS_OF)[0]
    assert (c.metric, c.low, c.high) == ("ratio_mom", None, 0.5)
    c = extract("China's magnet exports nearly halved in May from April.", as_of=AS_OF)[0]
    assert c.low == 0.5 and c.high > 0.5


def test_a_second_ratio_in_one_sentence_is_read():
    found = claims_of("U.S.-bound magnet volumes in June were more than seven times May's level, yet only "
                      "about half the level of a year earlier.")
    assert found == [("ratio_mom", "USA", "2025-06", 1), ("ratio_yoy", "USA", "2025-06", 1)]


def test_a_base_tonnage_with_its_own_month():
    found = claims_of("Magnet exports to the U.S. sank to 46.4 tonnes in May, less than a tenth of the 689 "
                      "tonnes shipped in May 2024.")
    assert found == [("net_weight_t", "USA", "2025-05", 1), ("net_weight_t", "USA", "2024-05", 1),
                     ("ratio_yoy", "USA", "2025-05", 1)]


def test_a_month_within_a_total_and_a_breakdown_after_a_total():
    assert claims_of("U.S.-bound magnet shipments in the first half of 2025 came to 2,510 tonnes, of which "
                     "877 tonnes left in January.") == [("cumulative_t", "USA", "2025-01", 6),
                                                        ("net_weight_t", "USA", "2025-01", 1)]
    assert claims_of("First-half magnet shipments totalled 22,319 tonnes, with the United States accounting "
                     "for about 2,510 tonnes.")[0] == ("cumulative_t", "WLD", "2025-01", 6)


def test_a_streak_in_a_row():
    found = claims_of("Germany's magnet purchases fell 13.2% from May in June, a second monthly decline in a row.")
    assert ("streak_fall", "DEU", "2025-06", 1) in found


def test_a_forecast_year_does_not_date_the_text():
    found = extract("Traders expect monthly magnet shipments to top 6,500 tonnes in early 2026. "
                    "October exports were 5,473 tonnes.", as_of="2025-11-20")
    assert [c.scope for c in found] == ["forecast", None]
    assert found[1].period == "2025-10"
