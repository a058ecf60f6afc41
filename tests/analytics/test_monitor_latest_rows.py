"""The whole-table monitor path: ``changes.at_month_from_rows`` (the preferred figure of each
month chosen inside one aggregation) against ``at_month(series.pick(...))``, the choice rule
by hand, and ``concentration.hhi_whole_table`` against hand-computed values."""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

import magwatch
from magwatch.analytics import changes, concentration, ranks, series

CON = ibis.duckdb.connect()
SCHEMA = pa.schema([("source", pa.string()), ("source_ref", pa.string()), ("reporter", pa.string()),
                    ("partner", pa.string()), ("flow", pa.string()), ("classification", pa.string()),
                    ("commodity", pa.string()), ("period", pa.date32()), ("period_months", pa.int8()),
                    ("net_weight_kg", pa.float64()), ("value_usd", pa.float64()),
                    ("vintage", pa.date32()), ("source_url", pa.string()), ("source_file", pa.string()),
                    ("source_row", pa.int64())])
SORT = [(c, "ascending") for c in changes.SERIES]


def m(text: str) -> int:
    return int(text[:4]) * 12 + int(text[5:]) - 1


def figure(partner, month, kg, usd=None, *, source="stat", ref="r", vintage="2026-01-01", row=1,
           months=1, reporter="CHN"):
    return {"source": source, "source_ref": ref, "reporter": reporter, "partner": partner,
            "flow": "X", "classification": "HS", "commodity": "850511",
            "period": dt.date(int(month[:4]), int(month[5:]), 1), "period_months": months,
            "net_weight_kg": kg, "value_usd": usd, "vintage": dt.date.fromisoformat(vintage),
            "source_url": None, "source_file": "f.csv", "source_row": row}


def table(figures):
    return ibis.memtable(pa.Table.from_pylist(figures, schema=SCHEMA))


def both(t, month):
    """(at_month_from_rows, at_month of pick) as Arrow tables sorted by series."""
    fast = CON.to_pyarrow(changes.at_month_from_rows(t, month)).sort_by(SORT)
    slow = CON.to_pyarrow(changes.at_month(series.pick(t), month)).sort_by(SORT)
    return fast, slow


def one(t, month, partner="USA") -> dict:
    fast, slow = both(t, month)
    assert fast.equals(slow)
    return next(r for r in fast.to_pylist() if r["partner"] == partner)


# -- the choice among several rows of a key ------------------------------------------------

def test_official_before_press_even_when_press_is_newer():
    t = table([figure("USA", "2025-06", 350.0, source="press", ref="news", vintage="2025-07-20"),
               figure("USA", "2025-06", 353.0, source="customs", ref="gacc", vintage="2025-07-10"),
               figure("USA", "2025-05", 46.4)])
    r = one(t, m("2025-06"))
    assert r["net_weight_kg"] == 353.0
    assert r["mom_pct"] == pytest.approx((353 / 46.4 - 1) * 100)


def test_latest_vintage_then_lowest_row_then_reference():
    t = table([figure("USA", "2025-06", 1.0, ref="a", vintage="2025-07-01", row=1),
               figure("USA", "2025-06", 2.0, ref="b", vintage="2025-09-01", row=9),   # latest
               figure("USA", "2025-05", 3.0, ref="c", row=None),                       # no row: last
               figure("USA", "2025-05", 4.0, ref="d", row=7),
               figure("USA", "2024-06", 5.0, ref="f", row=2),
               figure("USA", "2024-06", 6.0, ref="e", row=2)])                         # same row: ref
    r = one(t, m("2025-06"))
    assert (r["net_weight_kg"], r["weight_prev"], r["weight_year_ago"]) == (2.0, 4.0, 6.0)


def test_weight_and_value_chosen_separately():
    t = table([figure("USA", "2025-06", None, 2.4e6, source="press", ref="a"),
               figure("USA", "2025-06", 353.0, None, source="customs", ref="b")])
    r = one(t, m("2025-06"))
    assert (r["net_weight_kg"], r["value_usd"]) == (353.0, 2.4e6)
    assert r["unit_value_usd_kg"] == pytest.approx(2.4e6 / 353)


def test_several_rows_in_a_base_month_only():
    t = table([figure("USA", "2025-06", 10.0),
               figure("USA", "2025-05", 8.0, ref="a", vintage="2025-06-01"),
               figure("USA", "2025-05", 5.0, ref="b", vintage="2025-08-01"),
               figure("DEU", "2025-06", 7.0), figure("DEU", "2025-05", 7.0)])
    assert one(t, m("2025-06"))["mom_pct"] == pytest.approx(100.0)
    assert one(t, m("2025-06"), "DEU")["mom_pct"] == pytest.approx(0.0)


def test_gaps_and_combined_months_are_not_figures():
    t = table([figure("USA", "2025-06", 10.0), figure("USA", "2025-04", 9.0),      # May missing
               figure("WLD", "2026-01", 20.0, months=2), figure("WLD", "2026-03", 5.0)])
    assert one(t, m("2025-06"))["mom_pct"] is None
    fast, slow = both(t, m("2026-02"))                  # no February: only January-February
    assert fast.num_rows == slow.num_rows == 0
    assert one(t, m("2026-03"), "WLD")["mom_pct"] is None


def test_latest_month_when_none_given():
    t = table([figure("USA", "2025-05", 40.0), figure("USA", "2025-06", 50.0),
               figure("DEU", "2025-05", 10.0)])
    fast, slow = both(t, None)
    assert fast.equals(slow) and fast.column("partner").to_pylist() == ["USA"]


key_rows = st.lists(
    st.tuples(st.sampled_from(["USA", "DEU", "WLD"]),
              st.sampled_from(["2025-06", "2025-05", "2024-06", "2025-03"]),
              st.one_of(st.none(), st.floats(min_value=0, max_value=1e6, allow_nan=False)),
              st.one_of(st.none(), st.floats(min_value=0, max_value=1e9, allow_nan=False)),
              st.sampled_from(["stat", "press"]),
              st.sampled_from(["2025-07-01", "2025-08-01", "2025-09-01"]),
              st.one_of(st.none(), st.integers(min_value=0, max_value=3))),
    min_size=1, max_size=25)


def from_rows(t, month):
    return changes.at_month_from_rows(t, month)


def from_pick(t, month):
    return changes.at_month(series.pick(t), month)


@settings(max_examples=40, deadline=None)
@given(key_rows, st.sampled_from([None, m("2025-06"), m("2025-05")]))
def test_same_result_as_pick_then_at_month(compiled, drawn, month):
    # each row its own source reference, as the store keeps one latest row per reference
    data = pa.Table.from_pylist([figure(p, mo, kg, usd, source=src, ref=f"ref{i:02d}", vintage=v,
                                        row=row)
                                 for i, (p, mo, kg, usd, src, v, row) in enumerate(drawn)],
                                schema=SCHEMA)
    fast = compiled(from_rows, data, month).sort_by(SORT)
    slow = compiled(from_pick, data, month).sort_by(SORT)
    assert fast.schema == slow.schema
    assert fast.equals(slow)


def test_same_result_as_pick_then_at_month_on_bundled_data(bundled_db):
    with magwatch.open(bundled_db, read_only=True) as mw:
        con = mw.store.ibis()
        latest = con.table("observation_latest")
        months = sorted({r["month"] for r in con.to_pyarrow(
            latest.filter(latest.period_months == 1).select(month=series.month_index(latest.period))
            .distinct()).to_pylist()})
        assert len(months) > 20
        for month in [*months, None]:
            fast = con.to_pyarrow(changes.at_month_from_rows(latest, month)).sort_by(SORT)
            slow = con.to_pyarrow(changes.at_month(series.pick(latest), month)).sort_by(SORT)
            assert fast.equals(slow), month
        june = {r["partner"]: r for r in con.to_pyarrow(
            changes.at_month_from_rows(latest, m("2025-06"))).to_pylist()}
        assert june["USA"]["net_weight_kg"] == 353000.0 and june["WLD"]["net_weight_kg"] == 3188000.0


# -- concentration over a whole table -------------------------------------------------------

def test_hhi_whole_table_hand_computed():
    t = table([figure("WLD", "2025-06", 100.0), figure("EUU", "2025-06", 50.0),
               figure("DEU", "2025-06", 60.0), figure("USA", "2025-06", 20.0),
               figure("JPN", "2025-06", None, 5.0),
               figure("USA", "2025-06", 1.0, reporter="KOR"), figure("WLD", "2025-06", 0.0, reporter="JPN"),
               figure("DEU", "2025-06", 0.0, reporter="JPN")])
    at = changes.at_month_from_rows(t, m("2025-06"))
    got = {r["reporter"]: r for r in CON.to_pyarrow(concentration.hhi_whole_table(at)).to_pylist()}
    chn = got["CHN"]                                   # shares of DEU + USA = 80: 0.75 and 0.25
    assert chn["partners_with_data"] == 2 and chn["total_kg"] == 80.0
    assert chn["hhi"] == pytest.approx(0.75**2 * 1e4 + 0.25**2 * 1e4)      # 6,250
    assert chn["top1_share_pct"] == pytest.approx(75.0)
    assert got["KOR"]["hhi"] == pytest.approx(10000.0)
    assert got["JPN"]["hhi"] is None and got["JPN"]["top1_share_pct"] is None   # all zero: no shares
    # the partner rows of ranks.ranked give the same table
    via_ranked = concentration.hhi_whole_table(ranks.ranked(at))
    assert CON.to_pyarrow(via_ranked).sort_by([("reporter", "ascending")]).equals(
        CON.to_pyarrow(concentration.hhi_whole_table(at)).sort_by([("reporter", "ascending")]))


def hhi_whole_june(t):
    return concentration.hhi_whole_table(changes.at_month_from_rows(t, m("2025-06")))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(min_value=0.001, max_value=1e9, allow_nan=False), min_size=1, max_size=15))
def test_hhi_whole_table_bounds(compiled, ws):
    data = pa.Table.from_pylist([figure(f"P{i:02d}", "2025-06", w) for i, w in enumerate(ws)],
                                schema=SCHEMA)
    h = compiled(hhi_whole_june, data)
    r = h.to_pylist()[0]
    shares = [w / sum(ws) for w in ws]
    assert r["hhi"] == pytest.approx(sum(s * s for s in shares) * 1e4)
    assert 10000 / len(ws) - 1e-6 <= r["hhi"] <= 10000 + 1e-6
    assert r["top1_share_pct"] == pytest.approx(max(shares) * 100)
