"""The Comext reader: the real SDMX-CSV sample by shape and value, and both bulk layouts.

Real sample: tests/sources/samples/ds045409_sdmxcsv_M_CN35069190_pandas_resaved_head.csv
(50 rows of DS-045409, AT imports of CN 35069190 from WORLD; re-saved by pandas, so integers
print as floats). No public copy of a bulk file was found: the bulk files below are written
by the tests in the two documented headers with TEST FIGURES (their names say so); they are
not trade statistics.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

import magwatch
from magwatch.errors import InputError, NoDataError, ParameterError
from magwatch.sources import Fetched, Request, get
from magwatch.sources.comext import (BULK_LAYOUTS, file_kind, last_update, sdmx_csv_cells)
from magwatch.store.schema import fetch_one

SAMPLE = Path(__file__).resolve().parent / "samples" / "ds045409_sdmxcsv_M_CN35069190_pandas_resaved_head.csv"


def comext():
    return get("comext")


def sample_rows() -> list[list[str]]:
    with SAMPLE.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


# -- the real SDMX-CSV sample ------------------------------------------------------------------

def test_sample_shape():
    rows = sample_rows()
    assert rows[0] == ["DATAFLOW", "LAST UPDATE", "freq", "reporter", "partner", "product", "flow",
                       "indicators", "TIME_PERIOD", "OBS_VALUE"]
    body = rows[1:]
    assert len(body) == 50
    assert {r[0] for r in body} == {"ESTAT:DS-045409(1.0)"}
    assert {r[1] for r in body} == {"13/02/26 11:00:00"}
    assert {tuple(r[2:7]) for r in body} == {("M", "AT", "WORLD", "35069190", "1")}
    assert [r[7] for r in body].count("QUANTITY_IN_100KG") == 35
    assert [r[7] for r in body].count("VALUE_IN_EUROS") == 15
    assert file_kind(rows[0], str(SAMPLE)) == "sdmx-csv"


def test_sample_cells_values_units_and_vintage():
    cells, dataset = sdmx_csv_cells(sample_rows(), str(SAMPLE))
    assert dataset == "DS-045409"
    assert len(cells) == 35                                   # 35 months, 15 of them with a value
    first = cells[("AT", "WORLD", "35069190", "1", dt.date(2023, 1, 1))]
    assert first.values["kg"] == pytest.approx(21659.13 * 100)   # 100 kg units -> kg
    assert first.values["eur"] == 7056391.0                      # '7056391.0' is an integer
    assert first.vintage == dt.date(2026, 2, 13)                 # LAST UPDATE dd/mm/yy
    last = cells[("AT", "WORLD", "35069190", "1", dt.date(2025, 11, 1))]
    assert last.values == {"kg": pytest.approx(17901.78 * 100)}  # no value given: no value made up
    march = cells[("AT", "WORLD", "35069190", "1", dt.date(2024, 3, 1))]
    assert march.values["eur"] == 6704295.0


def test_importing_the_sample_lands_nothing_because_world_is_an_aggregate(tmp_path):
    assert comext().read_file(SAMPLE).num_rows == 0
    db = tmp_path / "s.duckdb"
    with magwatch.open(db) as mw:
        with pytest.raises(NoDataError, match="no rows to import"):
            mw.import_source_file(SAMPLE, "comext")
        assert fetch_one(mw.store.con.execute("SELECT count(*) FROM release"))[0] == 0


def relabelled(tmp_path: Path, partner: str = "CN") -> Path:
    """The sample's rows with partner WORLD relabelled; the figures stay the sample's own
    (AT imports of 35069190 from the world), so this checks the mapping, not any trade."""
    rows = sample_rows()
    for r in rows[1:]:
        r[4] = partner
    path = tmp_path / "sample_partner_relabelled_not_trade.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return path


def test_relabelled_sample_observations(tmp_path):
    rows = comext().read_file(relabelled(tmp_path)).to_pylist()
    assert len(rows) == 35
    jan = rows[0]
    assert (jan["reporter"], jan["partner"], jan["flow"]) == ("AUT", "CHN", "M")
    assert (jan["period"], jan["period_months"], jan["commodity"]) == (dt.date(2023, 1, 1), 1, "35069190")
    assert jan["net_weight_kg"] == pytest.approx(2165913.0)
    assert (jan["value"], jan["currency"], jan["value_usd"]) == (7056391.0, "EUR", None)
    assert jan["vintage"] == dt.date(2026, 2, 13) and jan["source_ref"] == "DS-045409"
    assert "QUANTITY_IN_100KG x 100" in jan["note"]
    assert rows[-1]["value"] is None and rows[-1]["currency"] is None   # a gap stays a gap
    assert [r["flow"] for r in comext().read_file(relabelled(tmp_path), flow="X").to_pylist()] == []


def test_sdmx_csv_answer_through_normalise(tmp_path):
    body = relabelled(tmp_path).read_bytes()
    request = Request("k", "/sdmx/2.1/data/DS-045409", [], (dt.date(2023, 1, 1),))
    fetched = Fetched(request, "http://127.0.0.1/x", 200, {}, body, dt.datetime(2026, 3, 1, 12, 0))
    rows = comext().normalise(fetched).to_pylist()
    assert len(rows) == 35 and rows[0]["source_url"] == "http://127.0.0.1/x"
    assert rows[0]["vintage"] == dt.date(2026, 2, 13)                  # LAST UPDATE, not retrieval


def test_last_update_is_day_month_year():
    assert last_update("13/02/26 11:00:00", where="f", row=1) == dt.date(2026, 2, 13)
    assert last_update("05/03/26 11:00:00", where="f", row=1) == dt.date(2026, 3, 5)   # not 3 May
    with pytest.raises(InputError, match="row 4, field 'LAST UPDATE'"):
        last_update("2026-02-13", where="f", row=4)


def test_an_empty_obs_value_is_a_gap_not_a_zero(tmp_path):
    rows = sample_rows()
    rows[1][4] = "CN"
    rows[1][9] = ""
    path = tmp_path / "one_row_edited.csv"
    with path.open("w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows[:2])
    [row] = comext().read_file(path).to_pylist()
    assert row["net_weight_kg"] is None


def test_sdmx_csv_vintage_disagreement_and_bad_rows(tmp_path):
    with pytest.raises(ParameterError, match="LAST UPDATE 2026-02-13"):
        comext().read_file(relabelled(tmp_path), vintage=dt.date(2026, 3, 1))
    rows = sample_rows()
    rows[3][7] = "VALUE_IN_DOLLARS"
    path = tmp_path / "bad_indicator.csv"
    with path.open("w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    with pytest.raises(InputError, match="row 3, field 'indicators': unknown indicator"):
        comext().read_file(path)


# -- bulk files (test figures in the documented headers) --------------------------------------

def bulk18(**extra: str) -> dict[str, str]:
    row = {"REPORTER": "DE", "PARTNER": "CN", "TRADE_TYPE": "E", "PRODUCT_NC": "85051110",
           "FLOW": "1", "STAT_PROCEDURE": "1", "SUPPL_UNIT": "NO_SU", "PERIOD": "202506",
           "VALUE_EUR": "1000", "VALUE_NAC": "999999", "QUANTITY_KG": "10", "QUANTITY_SUPPL_UNIT": "0"}
    return {**row, **extra}


def bulk19(**extra: str) -> dict[str, str]:
    row = {"DECLARANT": "004", "DECLARANT_ISO": "DE", "PARTNER": "720", "PARTNER_ISO": "CN",
           "TRADE_TYPE": "E", "PRODUCT_NC": "85051110", "FLOW": "1", "STAT_REGIME": "1",
           "SUPP_UNIT": "", "PERIOD": "202506", "VALUE_IN_EUROS": "1000", "QUANTITY_IN_KG": "10",
           "SUP_QUANTITY": ""}
    return {**row, **extra}


def test_bulk_headers_have_18_and_19_columns():
    assert len(BULK_LAYOUTS["bulk-18"].header) == 18
    assert BULK_LAYOUTS["bulk-18"].header[-4:] == ("VALUE_EUR", "VALUE_NAC", "QUANTITY_KG",
                                                   "QUANTITY_SUPPL_UNIT")
    assert len(BULK_LAYOUTS["bulk-19"].header) == 19


@pytest.mark.parametrize(("kind", "make"), [("bulk-18", bulk18), ("bulk-19", bulk19)])
def test_bulk_layouts_kg_not_100kg_eur_not_national_currency(tmp_path, kind, make, comext_bulk_file):
    path = comext_bulk_file(tmp_path, kind, [make()], f"comext_{kind}_test_figures.dat")
    [row] = comext().read_file(path, vintage=dt.date(2025, 8, 15)).to_pylist()
    assert (row["reporter"], row["partner"], row["flow"]) == ("DEU", "CHN", "M")   # *_ISO columns
    assert row["net_weight_kg"] == 10.0                      # bulk quantities are kg already
    assert row["value"] == 1000.0 and row["currency"] == "EUR"   # never VALUE_NAC
    assert (row["period"], row["vintage"]) == (dt.date(2025, 6, 1), dt.date(2025, 8, 15))
    assert row["source_ref"] == "DS-045409" and row["source_row"] == 1


def test_bulk_rows_summed_over_procedures_other_lines_skipped(tmp_path, comext_bulk_file):
    path = comext_bulk_file(tmp_path, "bulk-18", [
        bulk18(), bulk18(STAT_PROCEDURE="2", VALUE_EUR="500", QUANTITY_KG="5"),
        bulk18(PRODUCT_NC="72041000"), bulk18(FLOW="2", QUANTITY_KG="")],
        "comext_bulk18_test_figures.dat")
    imports, exports = comext().read_file(path, vintage=dt.date(2025, 8, 15)).to_pylist()
    assert (imports["net_weight_kg"], imports["value"]) == (15.0, 1500.0)
    assert "sum of 2 bulk rows by STAT_PROCEDURE (rows 1, 2)" in imports["note"]
    assert exports["flow"] == "X" and exports["net_weight_kg"] is None     # gap, not zero


def test_bulk_traps_are_errors(tmp_path, comext_bulk_file):
    annual = comext_bulk_file(tmp_path, "bulk-18", [bulk18(PERIOD="202552")], "annual_test_figures.dat")
    with pytest.raises(InputError, match="row 1, field 'PERIOD': annual total"):
        comext().read_file(annual)
    bad = comext_bulk_file(tmp_path, "bulk-18", [bulk18(PARTNER="ZZ")], "bad_partner_test_figures.dat")
    with pytest.raises(InputError, match="row 1, field 'partner'"):
        comext().read_file(bad)
    short = tmp_path / "short_header.dat"
    short.write_text("REPORTER,PARTNER,PRODUCT_NC\nDE,CN,85051110\n")
    with pytest.raises(InputError, match="18-column bulk header without TRADE_TYPE"):
        comext().read_file(short)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="not a Comext file"):
        comext().read_file(other)


# -- end to end through the command line -----------------------------------------------------



def test_import_bulk_file_with_test_figures(tmp_path, cli, comext_bulk_file):
    path = comext_bulk_file(tmp_path, "bulk-18", [bulk18(), bulk18(REPORTER="FR")],
                     "comext_bulk18_test_figures.dat")
    db = tmp_path / "store.duckdb"
    code, out, err = cli(db, "import", "--source", "comext", str(path), "--vintage", "2025-08-15")
    assert code == 0, err
    assert "release 1 (comext): 2 rows read, 2 added" in out
    code, out, _ = cli(db, "flows", "--source", "comext", "--format", "csv")
    assert code == 0 and "DEU,CHN,M,CN-EU,85051110,2025-06,1,0.01," in out


# -- a saved JSON-stat answer (test figures in the documented layout) --------------------------

def jsonstat_file(tmp_path: Path, values: dict, name: str = "comext_jsonstat_test_figures.json",
                  updated: str = "2026-02-13T11:00:00+0100") -> Path:
    import json

    dims = {"freq": ["M"], "reporter": ["DE"], "partner": ["CN", "WORLD"], "product": ["85051110"],
            "flow": ["1"], "indicators": ["QUANTITY_IN_100KG", "VALUE_IN_EUROS"], "time": ["2025-06"]}
    body = {"version": "2.0", "class": "dataset", "updated": updated, "id": list(dims),
            "size": [len(v) for v in dims.values()],
            "dimension": {d: {"category": {"index": {c: i for i, c in enumerate(v)}}}
                          for d, v in dims.items()},
            "value": values}
    path = tmp_path / name
    path.write_text(json.dumps(body))
    return path


def test_saved_jsonstat_answer(tmp_path):
    # flat index over sizes [1, 1, 2, 1, 1, 2, 1]: partner * 2 + indicator
    path = jsonstat_file(tmp_path, {"0": 12.5, "1": 40000, "3": 99999})
    [row] = comext().read_file(path).to_pylist()             # WORLD (index 3) dropped
    assert (row["reporter"], row["partner"], row["net_weight_kg"], row["value"]) == ("DEU", "CHN", 1250.0, 40000.0)
    assert row["vintage"] == dt.date(2026, 2, 13) and row["source_file"] == path.name
    with pytest.raises(ParameterError, match="updated 2026-02-13"):
        comext().read_file(path, vintage=dt.date(2026, 3, 1))
    cut = tmp_path / "cut.json"
    cut.write_text(path.read_text()[:60])
    with pytest.raises(InputError, match="cut.json: not a JSON-stat dataset"):
        comext().read_file(cut)
