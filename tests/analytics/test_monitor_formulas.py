"""Formulas of the monitor against hand-computed values, on tiny in-memory tables."""

from __future__ import annotations

import datetime as dt
import math

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from magwatch.analytics import anomalies, audit, changes, concentration, ranks, series

CON = ibis.duckdb.connect()


def rows(figures, **kwargs):
    """figures: (partner, 'YYYY-MM', tonnes or None, value or None[, period_months[, source]])."""
    return ibis.memtable(arrow_rows(figures, **kwargs))


def arrow_rows(figures, *, reporter="CHN", source="stat", vintage=dt.date(2026, 1, 1)):
    """The rows of :func:`rows` as an Arrow table."""
    out = []
    for i, f in enumerate(figures):
        partner, month, t, v = f[:4]
        months = f[4] if len(f) > 4 else 1
        src = f[5] if len(f) > 5 else source
        out.append({"source": src, "source_ref": f"ref{i}", "reporter": reporter, "partner": partner,
                    "flow": "X", "classification": "CN-CHN", "commodity": "85051110",
                    "period": dt.date(int(month[:4]), int(month[5:]), 1), "period_months": months,
                    "net_weight_kg": None if t is None else t * 1000.0, "value_usd": v,
                    "vintage": vintage, "source_url": f"https://example.org/{i}",
                    "source_file": "t.csv", "source_row": i + 1})
    schema = pa.schema([("source", pa.string()), ("source_ref", pa.string()), ("reporter", pa.string()),
                        ("partner", pa.string()), ("flow", pa.string()),
                        ("classification", pa.string()), ("commodity", pa.string()),
                        ("period", pa.date32()), ("period_months", pa.int8()),
                        ("net_weight_kg", pa.float64()), ("value_usd", pa.float64()),
                        ("vintage", pa.date32()), ("source_url", pa.string()),
                        ("source_file", pa.string()), ("source_row", pa.int64())])
    return pa.Table.from_pylist(out, schema=schema)


def m(text):
    return int(text[:4]) * 12 + int(text[5:]) - 1


def run(expr):
    return CON.to_pyarrow(expr).to_pylist()


def by_partner(expr):
    return {r["partner"]: r for r in run(expr)}


def test_mom_yoy_hand_computed():
    t = rows([("USA", "2025-05", 46.4, None), ("USA", "2025-06", 353.0, None),
              ("USA", "2024-06", 500.0, None)])
    r = by_partner(changes.at_month(series.pick(t), m("2025-06")))["USA"]
    assert r["mom_pct"] == pytest.approx((353 / 46.4 - 1) * 100)      # 660.78
    assert r["yoy_pct"] == pytest.approx(-29.4)
    assert r["mom_kg"] == pytest.approx(306600.0)


def test_unit_value_and_its_changes_hand_computed():
    """Test figures: 100 t for $5.0M in June (50 $/kg), 80 t for $3.2M in May (40 $/kg),
    50 t for $3.0M a year earlier (60 $/kg)."""
    t = rows([("USA", "2025-06", 100.0, 5.0e6), ("USA", "2025-05", 80.0, 3.2e6),
              ("USA", "2024-06", 50.0, 3.0e6), ("DEU", "2025-06", 10.0, 1.0e6),
              ("DEU", "2025-05", 10.0, None)])
    for expr in (changes.at_month(series.pick(t), m("2025-06")),
                 changes.at_month_from_rows(t, m("2025-06"))):
        got = by_partner(expr)
        assert got["USA"]["unit_value_usd_kg"] == pytest.approx(50.0)
        assert got["USA"]["unit_value_mom_pct"] == pytest.approx(25.0)        # 50 / 40
        assert got["USA"]["unit_value_yoy_pct"] == pytest.approx(-100 / 6)    # 50 / 60
        # May has a weight but no value: no unit value to compare with
        assert got["DEU"]["unit_value_usd_kg"] == pytest.approx(100.0)
        assert got["DEU"]["unit_value_mom_pct"] is None and got["DEU"]["unit_value_yoy_pct"] is None


def test_gap_gives_no_change_not_minus_100():
    t = rows([("USA", "2025-04", 246.0, None), ("USA", "2025-06", 353.0, None)])
    r = by_partner(changes.at_month(series.pick(t), m("2025-06")))["USA"]
    assert r["mom_pct"] is None and r["yoy_pct"] is None


def test_zero_base_gives_no_percentage():
    t = rows([("USA", "2025-05", 0.0, None), ("USA", "2025-06", 10.0, None)])
    assert by_partner(changes.at_month(series.pick(t), m("2025-06")))["USA"]["mom_pct"] is None


def test_latest_month_by_as_scalar():
    t = rows([("USA", "2025-05", 40.0, None), ("USA", "2025-06", 50.0, None),
              ("DEU", "2025-05", 10.0, None)])
    got = by_partner(changes.at_month(series.pick(t)))
    assert set(got) == {"USA"} and got["USA"]["mom_pct"] == pytest.approx(25.0)


def test_pick_prefers_official_then_weight_and_never_sums():
    t = rows([("USA", "2025-06", 350.0, None, 1, "press"), ("USA", "2025-06", 353.0, None, 1, "census"),
              ("USA", "2025-06", None, 2.4e6, 1, "press")])
    r = run(series.pick(t))
    assert len(r) == 1
    assert r[0]["net_weight_kg"] == 353000.0 and r[0]["weight_source"] == "census"
    assert r[0]["value_usd"] == 2.4e6 and r[0]["weight_figures"] == 2
    assert (r[0]["weight_low"], r[0]["weight_high"]) == (350000.0, 353000.0)


def test_combined_january_february_no_february_mom_and_ytd():
    t = rows([("WLD", "2026-01", 10763.0, None, 2), ("WLD", "2026-03", 5238.0, None),
              ("WLD", "2025-01", 6357.0, None), ("WLD", "2025-02", 4000.0, None),
              ("WLD", "2025-03", 5324.0, None)])
    s = series.pick(t)
    # March has no m/m: February exists only inside the combined figure
    assert by_partner(changes.at_month(s, m("2026-03")))["WLD"]["mom_pct"] is None
    # No February (or fake January) row exists at all
    assert by_partner(changes.at_month(s, m("2026-02"))) == {}
    ytd = by_partner(changes.year_to_date(s, m("2026-03")))["WLD"]
    assert ytd["ytd"] == pytest.approx((10763 + 5238) * 1000)
    assert ytd["ytd_prev"] == pytest.approx((6357 + 4000 + 5324) * 1000)
    assert ytd["ytd_yoy_pct"] == pytest.approx(((10763 + 5238) / (6357 + 4000 + 5324) - 1) * 100)


def test_ytd_absent_when_a_month_is_missing():
    t = rows([("USA", "2025-01", 1.0, None), ("USA", "2025-03", 1.0, None)])
    assert by_partner(changes.year_to_date(series.pick(t), m("2025-03")))["USA"]["ytd"] is None


def test_records_and_streak():
    vals = [("USA", f"2025-0{i}", v, None) for i, v in enumerate([5, 9, 7, 3, 4, 6], start=1)]
    r = by_partner(changes.records(series.pick(rows(vals)), m("2025-06")))["USA"]
    assert r["higher_before"] == m("2025-03")       # 7 > 6: highest since March
    assert r["months_since_higher"] == 2            # April and May in between
    assert r["streak"] == 2                         # May +, June +
    assert r["lower_before"] == m("2025-05")


def test_streak_broken_by_gap():
    vals = [("USA", "2025-01", 1.0, None), ("USA", "2025-02", 2.0, None),
            ("USA", "2025-04", 3.0, None), ("USA", "2025-05", 4.0, None)]
    r = by_partner(changes.records(series.pick(rows(vals)), m("2025-05")))["USA"]
    assert r["streak"] == 1


def test_rank_share_and_hhi_hand_computed():
    t = rows([("WLD", "2025-06", 100.0, None), ("DEU", "2025-06", 40.0, None),
              ("USA", "2025-06", 30.0, None), ("EUU", "2025-06", 45.0, None)])
    rk = ranks.ranked(changes.at_month(series.pick(t), m("2025-06")))
    got = by_partner(rk)
    assert set(got) == {"DEU", "USA"}               # aggregates never ranked
    assert (got["DEU"]["rank"], got["USA"]["rank"]) == (1, 2)
    assert got["DEU"]["share_pct"] == pytest.approx(40.0)
    h = run(concentration.hhi(rk))[0]
    assert h["hhi_min"] == pytest.approx(0.4**2 * 1e4 + 0.3**2 * 1e4)        # 2,500
    assert h["hhi_max"] == pytest.approx(2500 + 0.3**2 * 1e4)                # rest 30 % as one partner
    assert h["top1_share_pct"] == pytest.approx(40.0) and h["coverage_pct"] == pytest.approx(70.0)


def test_hhi_levels_named():
    assert concentration.level(1499) == "unconcentrated"
    assert concentration.level(1500) == "moderately concentrated"
    assert concentration.level(2500) == "moderately concentrated"
    assert concentration.level(2501) == "highly concentrated"


def test_dependence():
    t = rows([("CHN", "2025-03", None, 45.4e6, 1), ("WLD", "2025-03", None, 53.6e6, 1)],
             reporter="USA").mutate(flow=ibis.literal("M"))
    r = run(concentration.dependence(series.pick(t), m("2025-03"), "CHN"))[0]
    assert r["dependence_pct"] == pytest.approx(45.4 / 53.6 * 100)


def test_robust_change_z_hand_computed():
    values = [100, 110, 99, 108, 100, 105, 100, 800]       # last month a surge
    vals = [("USA", f"2025-{i:02d}", v, None) for i, v in enumerate(values, start=1)]
    r = by_partner(anomalies.change_scores(series.pick(rows(vals)), m("2025-08")))["USA"]
    d = [math.log(values[i] / values[i - 1]) for i in range(1, 7)]
    med = sorted(d)[2] / 2 + sorted(d)[3] / 2
    mad_d = sorted(abs(x - med) for x in d)
    mad = (mad_d[2] + mad_d[3]) / 2
    assert r["change_z"] == pytest.approx((math.log(8) - med) / (1.4826 * mad))
    reasons = anomalies.flag(r["change_z"], None, r["d_now"], r["change_z_max"], r["change_z_min"],
                             r["change_z_history"], 0)
    assert reasons[0].startswith("largest m/m rise in the series")


def test_robust_z_needs_history():
    vals = [("USA", "2025-01", 1.0, None), ("USA", "2025-02", 9.0, None)]
    r = by_partner(anomalies.change_scores(series.pick(rows(vals)), m("2025-02")))["USA"]
    assert r["change_z"] is None and r["change_z_history"] == 0


def test_rounding_interval_and_decimals():
    assert audit.decimals(46.4) == 1 and audit.decimals(353.0) == 0 and audit.decimals(1238.47) == 2
    low, high = audit.change_interval(353, 46.4, 0.5, 0.05)
    assert low == pytest.approx((352.5 / 46.45 - 1) * 100) and high == pytest.approx((353.5 / 46.35 - 1) * 100)
    assert audit.overlaps((659.5, 660.5), (low, high))
    assert not audit.overlaps((600, 601), (low, high))


# -- properties ---------------------------------------------------------------------------

weights = st.lists(st.floats(min_value=0.001, max_value=1e6, allow_nan=False), min_size=1, max_size=12)


def ranked_june(t):
    return ranks.ranked(changes.at_month(series.pick(t), m("2025-06")))


def hhi_june(t):
    return concentration.hhi(ranked_june(t))


@settings(max_examples=40, deadline=None)
@given(weights, st.floats(min_value=0.0, max_value=2.0))
def test_hhi_bounds_and_share_sum(compiled, ws, extra):
    total = sum(ws) * (1 + extra)                          # world >= sum of partners
    figures = [("WLD", "2025-06", total, None)] + [(f"P{i:02d}", "2025-06", w, None)
                                                    for i, w in enumerate(ws)]
    data = arrow_rows(figures)
    shares = [r["share_pct"] for r in compiled(ranked_june, data).to_pylist()]
    assert sum(shares) <= 100 + 1e-6
    if extra == 0:
        assert sum(shares) == pytest.approx(100)
    h = compiled(hhi_june, data).to_pylist()[0]
    assert 0 <= h["hhi_min"] <= h["hhi_max"] + 1e-6 <= 10000 + 1e-6
    if extra == 0:
        assert h["hhi_min"] == pytest.approx(h["hhi_max"])
        assert h["hhi_min"] >= 10000 / len(ws) - 1e-6     # never below equal shares


def changes_february(t):
    return changes.at_month(series.pick(t), m("2025-02"))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(min_value=1, max_value=1e4)), min_size=14, max_size=14))
def test_gaps_never_become_zeros(compiled, values):
    figures = [("USA", f"{2024 + i // 12}-{i % 12 + 1:02d}", v, None)
               for i, v in enumerate(values) if v is not None]
    got = ({r["partner"]: r for r in compiled(changes_february, arrow_rows(figures)).to_pylist()}
           if figures else {})
    last, prev, year_ago = values[13], values[12], values[1]
    if last is None:
        assert got == {}
        return
    r = got["USA"]
    assert (r["mom_pct"] is None) == (prev is None)
    assert (r["yoy_pct"] is None) == (year_ago is None)
    if prev is not None:
        assert r["mom_pct"] == pytest.approx((last / prev - 1) * 100)
