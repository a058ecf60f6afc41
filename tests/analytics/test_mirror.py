"""Mirror reconciliation: synthetic pairs with a known lag, CIF factor and scope share; unit and
currency conversions against hand-computed values; an end-to-end run on recorded-format Census
and Comext answers imported beside the bundled China figures.

The synthetic figures are test inputs, not statistics: they exist only inside these tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math

import pyarrow as pa
import pytest

import magwatch
from magwatch.errors import NoDataError, ParameterError
from magwatch.records import OBSERVATION_SCHEMA
from magwatch.sources import Fetched, Request, get

VINTAGE = dt.date(2026, 1, 15)


def obs(reporter, partner, flow, classification, commodity, period, kg, usd=None, *,
        source="user", row=1, value=None, currency=None) -> dict:
    if usd is not None:
        value, currency = usd, "USD"
    return {"source": source, "source_ref": "test", "reporter": reporter, "partner": partner,
            "flow": flow, "classification": classification, "commodity": commodity,
            "period": period, "period_months": 1, "net_weight_kg": kg, "value": value,
            "currency": currency, "value_usd": usd, "quantity": None, "quantity_unit": None,
            "is_estimated": False, "is_confidential": False, "vintage": VINTAGE,
            "vintage_precision": "day", "source_url": None, "source_file": "synthetic.csv",
            "source_row": row, "source_sha256": None, "note": None}


def month(i: int) -> dt.date:
    return dt.date(2023 + i // 12, i % 12 + 1, 1)


def ingest(handle, rows, name):
    table = pa.Table.from_pylist(rows, schema=OBSERVATION_SCHEMA)
    digest = hashlib.sha256(name.encode()).hexdigest()
    return handle.store.ingest_records(table, source=rows[0]["source"], file_name=name, sha256=digest,
                                       file_size=1, vintage=VINTAGE)


def synthetic_pair(lag: int, cif: float, months: int = 24, partner_months: int | None = None,
                   other: bool = True):
    """China's rare-earth line X and other line O to USA; US HS6 imports M_t = (X+O)_{t-lag}
    with a small deterministic wobble, values at cif x the export values."""
    rows, n = [], 0
    xs = [400 + 150 * math.sin(i / 2.0) + 11 * (i % 5) for i in range(months)]
    os_ = [80 + 30 * math.cos(i / 3.0) + 3 * (i % 4) for i in range(months)]
    for i in range(months):
        n += 1
        rows.append(obs("CHN", "USA", "X", "CN-CHN", "85051110", month(i), xs[i] * 1000,
                        xs[i] * 50_000, row=n))
        if other:
            n += 1
            rows.append(obs("CHN", "USA", "X", "CN-CHN", "85051190", month(i), os_[i] * 1000,
                            os_[i] * 10_000, row=n))
    last = partner_months if partner_months is not None else months
    for i in range(lag, last):
        wobble = 1 + 0.01 * ((i % 3) - 1)
        kg = (xs[i - lag] + os_[i - lag]) * 1000 * wobble
        usd = cif * (xs[i - lag] * 50_000 + os_[i - lag] * 10_000) * wobble
        n += 1
        rows.append(obs("USA", "CHN", "M", "HS", "850511", month(i), kg, usd, source="census", row=n))
    return rows, xs, os_


@pytest.fixture
def empty(tmp_path):
    with magwatch.open(tmp_path / "m.duckdb") as handle:
        yield handle


@pytest.mark.parametrize("lag,cif", [(0, 1.05), (2, 1.08), (3, 1.12)])
def test_synthetic_pair_recovers_lag_cif_and_scope(empty, lag, cif):
    rows, xs, os_ = synthetic_pair(lag, cif)
    ingest(empty, rows, f"pair-{lag}")
    r = empty.mirror("USA").to_dict()
    assert r["lag"]["months"] == lag and r["lag"]["basis"].startswith("estimated")
    assert [f["lag"] for f in r["lag"]["fit"]] == [0, 1, 2, 3]
    assert r["partner_line"]["commodity"] == "850511"
    assert r["partner_line"]["scope_relation"] == "partner line broader"
    paired = range(0, 24 - lag)
    true_share = sum(xs[i] for i in paired) / sum(xs[i] + os_[i] for i in paired)
    assert r["scope"]["share"] == pytest.approx(true_share, abs=0.01)
    assert r["cif_fob"]["factor"] == pytest.approx(cif, rel=0.01)
    months = r["months"].to_pylist()
    reconciled = [m for m in months if m["status"] == "reconciled"]
    assert len(reconciled) == 24 - lag
    for m in reconciled:      # the wobble is at most 1 % of the HS6 figure
        assert abs(m["residual_pct"]) < 2.0
        assert m["partner_period"] > m["period"] or lag == 0
    # hand check of one month: imports(t) - exports(t - lag) - other(t - lag)
    first = reconciled[0]
    i = lag
    wobble = 1 + 0.01 * ((i % 3) - 1)
    expected = ((xs[0] + os_[0]) * wobble - xs[0] - os_[0])
    assert first["residual_t"] == pytest.approx(expected, rel=1e-9)
    assert first["export_t"] == pytest.approx(xs[0])
    assert first["scope_t"] == pytest.approx(os_[0])


def test_user_lag_is_used_and_scope_from_share_when_other_line_month_missing(empty):
    rows, xs, os_ = synthetic_pair(1, 1.1)
    # drop the other line for the last 4 months: those use imports x (1 - s)
    rows = [r for r in rows if not (r["commodity"] == "85051190" and r["period"] >= month(20))]
    ingest(empty, rows, "pair-share")
    r = empty.mirror("USA", lag=1).to_dict()
    assert r["lag"] == {**r["lag"], "months": 1, "basis": "set by the user"}
    s = r["scope"]["share"]
    late = [m for m in r["months"].to_pylist() if m["period"] >= "2024-09" and m["status"] == "reconciled"]
    assert late and all(m["other_line_t"] is None for m in late)
    for m in late:
        assert m["scope_t"] == pytest.approx(m["import_t"] * (1 - s))
        assert "imports x (1 - s)" in m["note"]


def test_pending_months_and_gaps_are_told_apart(empty):
    rows, _, _ = synthetic_pair(0, 1.05, partner_months=20)
    rows = [r for r in rows if not (r["reporter"] == "USA" and r["period"] == month(5))]
    # the partner published month 5 for another origin, so it is a gap, not pending
    rows.append(obs("USA", "JPN", "M", "HS", "850511", month(5), 1000.0, 9000.0, source="census", row=999))
    ingest(empty, rows, "pair-pending")
    r = empty.mirror("USA", lag=0).to_dict()
    status = {m["period"]: m["status"] for m in r["months"].to_pylist()}
    assert [p for p, s in status.items() if s == "pending"] == ["2024-09", "2024-10", "2024-11", "2024-12"]
    assert status["2023-06"] == "no partner figure"
    text = "\n".join(r["explanations"])
    assert "pending (one side has not published that month yet): 2024-09..2024-12 (4 month(s)" in text
    assert "reconciled (both sides have a weight): 2023-01..2023-05, 2023-07..2024-08" in text


def test_residual_outside_usual_range_is_flagged(empty):
    rows, _, _ = synthetic_pair(0, 1.05)
    for r in rows:
        if r["reporter"] == "USA" and r["period"] == month(10):
            r["net_weight_kg"] *= 1.6          # a month the partner counts far more
    ingest(empty, rows, "pair-flag")
    r = empty.mirror("USA").to_dict()
    flagged = [m["period"] for m in r["months"].to_pylist() if m["flag"]]
    assert flagged == ["2023-11"]
    assert r["usual_range"]["months"] == 24


def test_without_other_line_scope_is_not_estimated(empty):
    rows, _, _ = synthetic_pair(0, 1.05, other=False)
    ingest(empty, rows, "pair-noscope")
    r = empty.mirror("USA").to_dict()
    assert r["scope"]["share"] is None and "not estimated" in r["scope"]["method"]
    assert r["cif_fob"]["factor"] is None          # values of different scope are not compared
    assert all("unadjusted for scope" in m["note"] for m in r["months"].to_pylist()
               if m["status"] == "reconciled")


# -- unit and currency conversion (Comext: 100 kg, EUR) ------------------------------------------

def comext_answer(cells: dict[tuple[str, str], float], times: list[str]) -> bytes:
    dims = {"freq": ["M"], "reporter": ["EU27_2020"], "partner": ["CN"], "product": ["85051110"],
            "flow": ["1"], "indicators": ["QUANTITY_IN_100KG", "VALUE_IN_EUROS"], "time": times}
    values = {}
    for (indicator, time), v in cells.items():
        values[str(dims["indicators"].index(indicator) * len(times) + times.index(time))] = v
    return json.dumps({
        "version": "2.0", "class": "dataset", "label": "EU trade since 1988 by HS2-4-6 and CN8",
        "updated": "2026-01-10T11:00:00+0100", "id": list(dims), "size": [len(v) for v in dims.values()],
        "dimension": {d: {"label": d, "category": {"index": {c: i for i, c in enumerate(v)}}}
                      for d, v in dims.items()}, "value": values}).encode()


def land(handle, source: str, body: bytes, request: Request, name: str):
    fetched = Fetched(request, f"http://127.0.0.1/{name}", 200, {}, body, dt.datetime(2026, 1, 20, 9, 0))
    table = get(source).normalise(fetched)
    return handle.store.ingest_records(table, source=source, file_name=name,
                                       sha256=hashlib.sha256(body).hexdigest(), file_size=len(body),
                                       vintage=dt.date(2026, 1, 20))


def test_comext_100kg_and_eur_against_hand_computed_values(empty):
    ingest(empty, [obs("CHN", "EUU", "X", "CN-CHN", "85051110", dt.date(2025, 6, 1), 1_900_000.0, row=1)],
           "china-eu")
    body = comext_answer({("QUANTITY_IN_100KG", "2025-06"): 18_456.0,
                          ("VALUE_IN_EUROS", "2025-06"): 61_234_000.0}, ["2025-06"])
    land(empty, "comext", body, Request("k", "/p", [], (dt.date(2025, 6, 1),)), "comext.json")
    r = empty.mirror("EUU", lag=0).to_dict()
    (m,) = r["months"].to_pylist()
    assert m["import_t"] == pytest.approx(1845.6)          # 18,456 x 100 kg = 1,845,600 kg
    assert m["export_t"] == pytest.approx(1900.0)
    assert m["residual_t"] == pytest.approx(-54.4)
    assert m["residual_pct"] == pytest.approx(-54.4 / 1900 * 100)
    assert m["import_usd"] is None and m["import_value_local"] == 61_234_000.0
    assert m["import_currency"] == "EUR"
    assert r["cif_fob"]["factor"] is None and "EUR" in r["cif_fob"]["method"]
    assert "no exchange rate" in r["cif_fob"]["method"]
    assert r["partner_line"]["scope_relation"] == "same code"


def test_census_kg_and_usd_against_hand_computed_values(empty):
    ingest(empty, [obs("CHN", "USA", "X", "CN-CHN", "85051110", dt.date(2025, 6, 1), 353_000.0,
                       20_000_000.0, row=1)], "china-us")
    data = [["CTY_CODE", "CTY_NAME", "GEN_VAL_MO", "GEN_QY1_MO", "UNIT_QY1", "LAST_UPDATE",
             "I_COMMODITY", "time"],
            ["5700", "CHINA", "21500000", "361250", "KG", "2025-08-05", "8505110070", "2025-06"]]
    body = json.dumps(data).encode()
    land(empty, "census", body, Request("k", "/p", [], (dt.date(2025, 6, 1),), None,
                                        {"flow": "M", "commodity": "8505110070"}), "census.json")
    r = empty.mirror("USA", lag=0).to_dict()
    (m,) = r["months"].to_pylist()
    assert m["import_t"] == pytest.approx(361.25) and m["export_t"] == pytest.approx(353.0)
    assert m["value_ratio"] == pytest.approx(21.5 / 20.0)
    assert r["partner_line"]["scope_relation"] == "different national subdivision"
    assert "customs value" in r["partner_line"]["value_basis"]
    assert r["cif_fob"]["factor"] == pytest.approx(1.075)


def test_parameters_are_checked(empty):
    with pytest.raises(NoDataError, match="no exports by CHN to USA"):
        empty.mirror("USA").to_dict()
    with pytest.raises(ParameterError, match="lag"):
        empty.mirror("USA", lag=5).to_dict()
    with pytest.raises(ParameterError, match="from"):
        empty.mirror("USA", start="2025-13").to_dict()


# -- bundled data alone, and end to end with recorded-format answers -----------------------------

def test_bundled_alone_says_partner_side_missing(mw):
    r = mw.mirror("USA").to_dict()
    assert r["partner_line"] is None and r["lag"] is None
    assert r["explanations"][0].startswith("partner side missing")
    statuses = set(r["months"].column("status").to_pylist())
    assert statuses == {"no partner series"}
    june = [m for m in r["months"].to_pylist() if m["period"] == "2025-06"][0]
    assert june["export_t"] == 353.0 and june["import_t"] is None
    assert r["context"] and all(c["label"].startswith("context only") for c in r["context"])
    assert {c["period"] for c in r["context"]} >= {"2025-Q1", "2024-Q1"}


def census_body(months: dict[str, tuple[str, str]]) -> bytes:
    """US imports of HS 850511 from China in the Census API's recorded shape (all strings)."""
    rows = [["CTY_CODE", "CTY_NAME", "GEN_VAL_MO", "GEN_QY1_MO", "UNIT_QY1", "LAST_UPDATE",
             "I_COMMODITY", "COMM_LVL", "SUMMARY_LVL", "time"]]
    for period, (value, kg) in months.items():
        rows.append(["5700", "CHINA", value, kg, "KG", "2025-11-05", "850511", "HS6", "DET", period])
    rows.append(["5520", "VIETNAM", "900000", "30000", "KG", "2025-11-05", "850511", "HS6", "DET", "2025-09"])
    return json.dumps(rows).encode()


def test_end_to_end_census_and_comext_beside_bundled_china(mw, tmp_path, cli):
    # Census: Jan-Sep 2025 published, March without a China row; October onward not yet.
    months = {f"2025-{m:02d}": (str(1000 * m + 5_000_000), str(300_000 + 1000 * m))
              for m in range(1, 10) if m != 3}
    body = census_body(months)
    request = Request("k", "/data/timeseries/intltrade/imports/hs", [],
                      tuple(dt.date(2025, m, 1) for m in range(1, 10)), None,
                      {"flow": "M", "commodity": "850511"})
    land(mw, "census", body, request, "census-850511-2025.json")
    cbody = comext_answer({("QUANTITY_IN_100KG", "2025-06"): 12_000.0,
                           ("VALUE_IN_EUROS", "2025-06"): 40_000_000.0}, ["2025-06"])
    land(mw, "comext", cbody, Request("k", "/p", [], (dt.date(2025, 6, 1),)), "comext-2025-06.json")
    db = mw.store.path if hasattr(mw.store, "path") else None
    mw.close()
    db = db or next(tmp_path.glob("*.duckdb"))
    result = cli(db, "mirror", "--partner", "USA", "--from", "2025-01", "--to", "2025-12", "--lag", "0")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "partner line: HS 850511 (census" in out
    assert "lag: 0 month(s), set by the user" in out
    assert "reconciled (both sides have a weight): 2025-01..2025-02, 2025-04..2025-09" in out
    assert "pending (one side has not published that month yet): 2025-10..2025-12" in out
    assert "not reconciled: USA published but has no figure for imports from CHN: 2025-03" in out
    assert "scope share: - (not estimated" in out
    js = cli(db, "mirror", "--partner", "USA", "--format", "json", "--from", "2025-06", "--to", "2025-06",
             "--lag", "0")
    assert js.returncode == 0, js.stderr
    data = json.loads(js.stdout)
    (june,) = data["months"]
    assert june["export_t"] == 353.0 and june["import_t"] == pytest.approx(306.0)
    assert june["residual_t"] == pytest.approx(-47.0)
    assert june["export_source"] == "press" and june["import_source"] == "census"
    eu = cli(db, "mirror", "--partner", "EUU", "--from", "2025-06", "--to", "2025-06", "--lag", "0")
    assert eu.returncode == 0, eu.stderr
    assert "EUR" in eu.stdout and "no exchange rate" in eu.stdout
    bad = cli(db, "mirror", "--partner", "USA", "--lag", "7")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "lag" in bad.stderr


def test_rerouting_third_country_and_unit_value_jump(empty):
    rows, xs, _ = synthetic_pair(0, 1.05)
    n = 5000
    for i in range(24):
        rise = 2.0 if i >= 21 else 1.0                      # last 3 months double on both legs
        n += 1
        rows.append(obs("CHN", "VNM", "X", "CN-CHN", "85051110", month(i), 100_000 * rise, row=n))
        n += 1
        rows.append(obs("USA", "VNM", "M", "HS", "850511", month(i), 40_000 * rise, 1e6 * rise,
                        source="census", row=n))
        n += 1
        rows.append(obs("CHN", "KOR", "X", "CN-CHN", "85051110", month(i), 50_000, row=n))
        n += 1
        rows.append(obs("USA", "KOR", "M", "HS", "850511", month(i), 9_000, 2e5, source="census", row=n))
    for r in rows:     # China's unit value to the US varies a little, then jumps fourfold
        if r["reporter"] == "CHN" and r["partner"] == "USA" and r["commodity"] == "85051110":
            i = (r["period"].year - 2023) * 12 + r["period"].month - 1
            factor = 4.0 if i == 23 else 1 + 0.02 * ((i % 5) - 2)
            r["value_usd"] = r["value"] = r["value_usd"] * factor
    ingest(empty, rows, "pair-reroute")
    r = empty.mirror("USA").to_dict()
    third = {s["country"]: s for s in r["rerouting"] if s["kind"] == "third country"}
    assert third["VNM"]["signal"] is True
    assert third["VNM"]["leg1_change_pct"] == pytest.approx(100.0)
    assert third["VNM"]["leg2_change_pct"] == pytest.approx(100.0)
    assert "CHN exports to VNM" in third["VNM"]["rests_on"] and "2024-07..2024-12" in third["VNM"]["rests_on"]
    assert third["KOR"]["signal"] is False
    jumps = [s for s in r["rerouting"] if s["kind"] == "unit value" and s["side"] == "exports"]
    assert [s["month"] for s in jumps] == ["2024-12"]
    assert "23 earlier month(s)" in jumps[0]["rests_on"]
