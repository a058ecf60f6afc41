"""The claim checker on news copy as published, and on magwatch's own briefs.

The paragraph below is the one the project was built around, as published (figures from China
customs, July 2025). All seven of its claims are true; the rank claim also yields Germany as first.
"""

from __future__ import annotations

import pytest

from magwatch.report.check import CONSISTENT, INCONSISTENT, NOT_CHECKED, UNVERIFIABLE, check_text
from magwatch.report.claims import HEDGES, extract, interval

AS_PUBLISHED = (
    "China's exports of rare-earth magnets to the U.S. soared in June, climbing 660% month-over-month to "
    "reach 353 metric tons, according to customs data. Despite June's surge, total U.S. imports remained "
    "about 50% below the levels recorded during the same month last year. China exported 3,188 metric tons "
    "of rare-earth magnets globally in June, a 160% increase from May, though still 38% lower "
    "year-over-year. The United States was the second-largest buyer after Germany.")

EXPECTED = [("net_weight_t", "USA"), ("mom_pct", "USA"), ("yoy_pct", "USA"), ("net_weight_t", "WLD"),
            ("mom_pct", "WLD"), ("yoy_pct", "WLD"), ("rank", "USA"), ("rank", "DEU")]


@pytest.mark.parametrize("as_of", ["2025-07-20", None])
def test_the_paragraph_as_published_is_all_consistent(handle, checker, as_of):
    verdicts = check_text(handle, AS_PUBLISHED, as_of=as_of, checker=checker)
    got = sorted((v.claim.metric, v.claim.partner) for v in verdicts)
    assert got == sorted(EXPECTED)
    assert all(v.claim.period == "2025-06" for v in verdicts)
    assert [v.verdict for v in verdicts] == [CONSISTENT] * len(EXPECTED), \
        [(v.claim.metric, v.claim.partner, v.verdict, v.reason) for v in verdicts]
    by = {(v.claim.metric, v.claim.partner): v for v in verdicts}
    # the press's 160% for a computed 157.4%: consistent at its significant figures, and said so
    assert by["mom_pct", "WLD"].rounded and "157.4" in by["mom_pct", "WLD"].computed
    assert not by["net_weight_t", "WLD"].rounded
    # the signs and bases read from the phrase
    assert by["yoy_pct", "WLD"].claim.value == -38 and by["yoy_pct", "WLD"].claim.base_period == "2024-06"
    assert by["yoy_pct", "USA"].claim.value == -50 and by["yoy_pct", "USA"].claim.qualifier == "about"
    assert by["mom_pct", "WLD"].claim.base_period == "2025-05"
    if as_of is None:
        assert any("assumed" in r for r in by["net_weight_t", "USA"].claim.resolved)
    else:
        assert any("publication date (--as-of 2025-07-20)" in r for r in by["net_weight_t", "USA"].claim.resolved)


PLANTED = [
    ("660%", "560%", ("mom_pct", "USA")),
    ("3,188 metric tons", "4,188 metric tons", ("net_weight_t", "WLD")),
    ("the second-largest buyer after Germany", "the largest buyer", ("rank", "USA")),
    ("38% lower", "38% higher", ("yoy_pct", "WLD")),
    ("soared in June", "soared in May", ("net_weight_t", "USA")),
]


@pytest.mark.parametrize("old,new,claim", PLANTED, ids=[p[1] for p in PLANTED])
def test_each_planted_error_is_inconsistent(handle, checker, old, new, claim):
    assert old in AS_PUBLISHED
    verdicts = check_text(handle, AS_PUBLISHED.replace(old, new), as_of="2025-07-20", checker=checker)
    wrong = {(v.claim.metric, v.claim.partner) for v in verdicts if v.verdict == INCONSISTENT}
    assert claim in wrong, [(v.claim.metric, v.claim.partner, v.claim.period, v.verdict) for v in verdicts]


@pytest.mark.parametrize("year", ["9999", "1066", "2031"])
def test_a_stated_year_is_kept_even_when_the_store_cannot_have_it(handle, checker, year):
    """'December 9999' is December 9999, not the latest December: the claim cannot be checked
    (it was once read as 2025-12 and found inconsistent)."""
    text = f"China exported 3,188 tonnes of rare-earth magnets in December {year}."
    assert extract(text)[0].period == f"{year}-12"
    verdicts = check_text(handle, text, checker=checker)
    assert [v.verdict for v in verdicts] == [UNVERIFIABLE]


def test_a_quantity_after_a_month_is_not_its_year():
    claims = extract("China's magnet exports to the US in June 1500 tonnes, customs data showed.",
                     as_of="2025-07-20")
    assert [(c.metric, c.value, c.period) for c in claims] == [("net_weight_t", 1500.0, "2025-06")]


def test_the_month_follows_the_publication_date():
    text = "China's magnet exports to the US rose to 619 t in July."
    assert extract(text, as_of="2025-08-20")[0].period == "2025-07"
    assert extract("AUGUST 2025 - " + text)[0].period == "2025-07"
    assert extract("SHANGHAI, Aug 20, 2025 /wire/ -- " + text)[0].period == "2025-07"
    assert extract("Published 2025-08-20\n\n" + text)[0].period == "2025-07"
    # a December named in a January text is the December before
    assert extract("Shipments to the US were 564 t in December.", as_of="2026-01-20")[0].period == "2025-12"
    # --month says what an undated text is about
    c = extract("Shipments to Germany slipped 4.7% to 590 tonnes.", month="2025-08")
    assert {x.period for x in c} == {"2025-08"}


@pytest.mark.parametrize("text,metric,value,base", [
    ("In October exports fell 5.2% less than in September, to 5,473 t.", "mom_pct", -5.2, "2025-09"),
    ("October exports were 15.8% more than a year before.", "yoy_pct", 15.8, "2024-10"),
    ("June shipments were 53% less than in April.", "change_pct", -53, "2025-04"),
    ("July exports were about 5.7% above July 2024.", "yoy_pct", 5.7, "2024-07"),
    ("In August shipments to the US slipped 4.7% to 590 tonnes.", "change_pct", -4.7, None),
])
def test_direction_and_base_from_the_phrase(text, metric, value, base):
    found = [c for c in extract(text, as_of="2025-11-20") if c.metric.endswith("_pct")]
    assert [(c.metric, c.value, c.base_period) for c in found] == [(metric, value, base)]


def test_every_claim_in_a_clause_is_read():
    found = extract("In August shipments to the US slipped 4.7% to 590 tonnes.", as_of="2025-09-20")
    assert sorted(c.metric for c in found) == ["change_pct", "net_weight_t"]


def test_scope_sentences_are_not_magnet_observations(handle, checker):
    text = ("Analysts expect exports to recover to 6,000 t by December. NdPr oxide prices rose 12% in June. "
            "Exports of the 17 rare-earth elements rose 5% to 4,500 t in June. China exported 3,188 t of "
            "magnets in June.")
    verdicts = check_text(handle, text, as_of="2025-07-20", checker=checker)
    about = [(v.claim.scope, v.verdict) for v in verdicts]
    assert ("forecast", NOT_CHECKED) in about and ("price", NOT_CHECKED) in about
    assert ("other commodity", NOT_CHECKED) in about
    assert (None, CONSISTENT) in about


def test_precision_table():
    assert interval(160, "160", None) == (155, 165)                 # significant figures
    assert interval(160, "160", None, exact=True) == (159.5, 160.5)
    assert interval(157.5, "157.5", None) == (157.45, 157.55)
    lo, hi = interval(1250, "1,250", "nearly")
    assert hi == 1255 and lo < 1200                                 # nearly: up to the figure
    assert interval(3000, "3,000", "more than") == (3000, None)
    assert set(HEDGES) >= {"about", "roughly", "nearly", "almost", "more than", "less than"}


FAMILIES = [
    ("China's magnet exports in January-November 2025 totalled 51,440 tonnes.",
     ("cumulative_t", "WLD", "2025-01", 11), CONSISTENT),
    ("In the first half of 2025, exports reached 22,319 t.", ("cumulative_t", "WLD", "2025-01", 6), CONSISTENT),
    ("January-February 2026 shipments combined came to 10,763 t.", ("cumulative_t", "WLD", "2026-01", 2),
     CONSISTENT),
    ("January-November 2025 shipments totalled 61,440 tonnes.", ("cumulative_t", "WLD", "2025-01", 11),
     INCONSISTENT),
    ("Germany bought 3.7 times May's volume in June 2025.", ("ratio_mom", "DEU", "2025-06", 1), CONSISTENT),
    ("World exports more than doubled from May in June 2025.", ("ratio_mom", "WLD", "2025-06", 1), CONSISTENT),
    ("World exports halved from April in May 2025.", ("ratio_mom", "WLD", "2025-05", 1), CONSISTENT),
    ("World exports halved from May in June 2025.", ("ratio_mom", "WLD", "2025-06", 1), INCONSISTENT),
    ("Germany took a fifth of the total in July 2025.", ("share_pct", "DEU", "2025-07", 1), CONSISTENT),
    ("Germany took a third of the total in July 2025.", ("share_pct", "DEU", "2025-07", 1), INCONSISTENT),
    ("The European Union took 37.6% of exports in October 2025.", ("share_pct", "EUU", "2025-10", 1), CONSISTENT),
    ("In October 2025 exports fell for a second consecutive month.", ("streak_fall", "WLD", "2025-10", 1),
     CONSISTENT),
    ("In October 2025 exports fell for a fifth consecutive month.", ("streak_fall", "WLD", "2025-10", 1),
     INCONSISTENT),
    ("Shipments to the US in October 2025 were the highest since January.", ("record_high", "USA", "2025-10", 1),
     CONSISTENT),
    ("World exports in October 2025 were a nine-month low.", ("record_low", "WLD", "2025-10", 1), INCONSISTENT),
]


@pytest.mark.parametrize("text,key,verdict", FAMILIES, ids=[f[0][:40] for f in FAMILIES])
def test_claim_families(handle, checker, text, key, verdict):
    found = [(v.claim.metric, v.claim.partner, v.claim.period, v.claim.months, v.verdict)
             for v in check_text(handle, text, checker=checker)]
    assert (*key, verdict) in found, found
