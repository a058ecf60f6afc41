"""Each source's flags land in the ``flag`` and ``flag_raw`` columns, from real sample shapes.

The samples (tests/sources/samples, README there) carry no flag set: each test edits one row
of a real sample to set a flag the source's documentation names, and says so. The edited
rows are TEST DATA, not trade statistics.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from magwatch.records import FLAGS, flag_words, strongest_flag
from magwatch.sources import Fetched, Request, get

SAMPLES = Path(__file__).resolve().parent / "samples"
COMEXT_SAMPLE = SAMPLES / "ds045409_sdmxcsv_M_CN35069190_pandas_resaved_head.csv"


def _fetched(body: bytes, request: Request) -> Fetched:
    return Fetched(request, "http://127.0.0.1/x", 200, {}, body, dt.datetime(2026, 1, 5, 12, 0))


def test_the_vocabulary_and_how_a_flag_reads():
    assert list(FLAGS) == ["confidential", "suppressed", "below_threshold", "estimated",
                           "provisional", "revised"]
    assert flag_words("confidential") == "suppressed (confidential)"
    assert flag_words("below_threshold") == "suppressed (below threshold)"
    assert flag_words("suppressed") == "suppressed" and flag_words("estimated") == "estimated"
    assert flag_words(None) is None
    assert strongest_flag(["provisional", "confidential", None]) == "confidential"


# -- Comext ------------------------------------------------------------------------------------

def comext_with_flags(tmp_path: Path, column: str, flags: dict[int, str]) -> Path:
    """The real SDMX-CSV sample with partner WORLD relabelled CN and a flag column added;
    ``flags`` sets the flag of some data rows (test edits, not Eurostat's flags)."""
    with COMEXT_SAMPLE.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows[0].append(column)
    for n, row in enumerate(rows[1:], start=1):
        row[4] = "CN"
        row.append(flags.get(n, ""))
    path = tmp_path / "sample_with_test_flags_not_trade.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return path


def test_comext_sdmx_csv_flags(tmp_path):
    # rows 1 and 36 are January 2023's quantity and value; row 2 February's quantity
    path = comext_with_flags(tmp_path, "OBS_FLAG", {1: "c", 36: "c", 2: "p", 3: "e", 4: "b", 6: "r"})
    rows = get("comext").read_file(path).to_pylist()
    jan, feb, mar, apr, may, jun = rows[:6]
    assert (jan["flag"], jan["flag_raw"], jan["is_confidential"]) == ("confidential", "OBS_FLAG=c", True)
    assert jan["net_weight_kg"] is None and jan["value"] is None      # the printed figure is dropped
    assert (feb["flag"], feb["net_weight_kg"]) == ("provisional", pytest.approx(1956957.0))
    assert (mar["flag"], mar["is_estimated"]) == ("estimated", True)
    assert (apr["flag"], apr["flag_raw"]) == (None, "OBS_FLAG=b")     # a break: text only
    assert (may["flag"], may["flag_raw"]) == (None, None)
    assert (jun["flag"], jun["flag_raw"]) == ("revised", "OBS_FLAG=r")


def test_comext_confidentiality_status_column_is_case_sensitive(tmp_path):
    path = comext_with_flags(tmp_path, "CONF_STATUS", {1: "C", 2: "N", 3: "P"})
    jan, feb, mar = get("comext").read_file(path).to_pylist()[:3]
    assert jan["flag"] == "confidential"
    assert feb["flag"] == mar["flag"] == "suppressed"            # not for publication, secrecy
    assert feb["net_weight_kg"] is None and mar["net_weight_kg"] is None


def test_comext_bulk_flag_column_withholds_the_whole_sum(tmp_path):
    from magwatch.sources.comext import BULK_LAYOUTS

    header = [*BULK_LAYOUTS["bulk-18"].header, "FLAG"]
    base = {"REPORTER": "DE", "PARTNER": "CN", "TRADE_TYPE": "E", "PRODUCT_NC": "85051110",
            "FLOW": "1", "STAT_PROCEDURE": "1", "PERIOD": "202506", "VALUE_EUR": "1000",
            "QUANTITY_KG": "10"}
    rows = [base, {**base, "STAT_PROCEDURE": "2", "VALUE_EUR": "0", "QUANTITY_KG": "0", "FLAG": "c"}]
    path = tmp_path / "comext_bulk18_with_flag_test_figures.dat"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows([[r.get(h, "") for h in header] for r in rows])
    [row] = get("comext").read_file(path, vintage=dt.date(2025, 8, 15)).to_pylist()
    assert (row["flag"], row["flag_raw"]) == ("confidential", "FLAG=c")
    assert row["net_weight_kg"] is None and row["value"] is None      # never 10, never 0


# -- Comtrade ----------------------------------------------------------------------------------

def comtrade_rows(**edits) -> list[dict]:
    """The real China-2010 answer relabelled as HS 850511, with ``edits`` set on its first row
    (test edits: the recorded rows are all reported and not estimated)."""
    data = json.loads((SAMPLES / "get_C_A_HS_r156_2010_TOTAL.raw.json").read_bytes())
    for row in data["data"]:
        row["cmdCode"] = "850511"
    data["data"][0].update(edits)
    request = Request("k", "/data/v1/get/C/A/HS", [("period", "2010")], (dt.date(2010, 1, 1),), "m",
                      {"freq": "A", "reporter": 156, "released": {}, "unreleased": [],
                       "partners": [], "commodities": ["850511"]})
    table = get("comtrade").normalise(_fetched(json.dumps(data).encode(), request))
    edited = (data["data"][0]["partnerISO"], data["data"][0]["flowCode"])
    return sorted(table.to_pylist(), key=lambda r: (r["partner"], r["flow"]) != edited)


def test_comtrade_real_rows_carry_no_flag():
    assert {(r["flag"], r["flag_raw"]) for r in comtrade_rows()} == {(None, None)}


@pytest.mark.parametrize(("edits", "raw"), [
    ({"isNetWgtEstimated": True}, "isNetWgtEstimated"),
    ({"isQtyEstimated": True}, "isQtyEstimated"),
    ({"legacyEstimationFlag": 2}, "legacyEstimationFlag=2"),
    ({"isReported": False}, "isReported=false"),
])
def test_comtrade_estimation_flags(edits, raw):
    first = comtrade_rows(**edits)[0]
    assert (first["flag"], first["flag_raw"], first["is_estimated"]) == ("estimated", raw, True)


def test_comtrade_aggregate_is_kept_as_text_only():
    first = comtrade_rows(isAggregate=True)[0]
    assert (first["flag"], first["flag_raw"]) == (None, "isAggregate=true")


# -- Census ------------------------------------------------------------------------------------

def test_census_flag_variable_kept_as_text():
    # The real exports answer with a QTY_1_MO_FLAG column added (test values: what the
    # variable's values mean is not confirmed, so none becomes a flag)
    data = json.loads((SAMPLES / "exports_hs_ALL_VAL_MO_HS10_2710121510_CTY1220_from2016-01.json")
                      .read_bytes())
    data[0].append("QTY_1_MO_FLAG")
    for i, row in enumerate(data[1:]):
        row.append("X" if i == 0 else "")
    request = Request("k", "/p", [], (dt.date(2016, 1, 1),), None,
                      {"flow": "X", "commodity": "2710121510"})
    rows = get("census").normalise(_fetched(json.dumps(data).encode(), request)).to_pylist()
    assert (rows[0]["flag"], rows[0]["flag_raw"]) == (None, "QTY_1_MO_FLAG=X")
    assert rows[0]["value_usd"] == 155905.0
    assert {r["flag_raw"] for r in rows[1:]} == {None}
