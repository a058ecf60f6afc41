"""Release day, end to end (docs/release-day.md): China customs first, the mirror later.

The path the page describes, run through the real command line on a fresh store:

1. the China customs (GACC) export of last month and of the month just released, each a
   file in the platform's real bytes (GBK, ``\\t,`` separators, a trailing empty field,
   quoted text and unquoted codes, as tests/sources/samples/commodity_parameters_export_2022_excerpt.gbk.csv);
2. the monitor, the alerts and the brief on the new month;
3. weeks later, Eurostat Comext in each of its formats (the SDMX-CSV answer of the API, a
   current 18-column bulk file and an older 19-column one) and a US Census answer served by
   a real HTTP server on 127.0.0.1 in the recorded shape (an array of string arrays);
4. the mirror before and after them.

ALL FIGURES IN THIS FILE ARE TEST FIGURES, NOT TRADE STATISTICS: every file written here
says so in its name and (GACC) in a 说明 column. No real China customs trade export of
85051110 and no real partner answer for it was found (tests/sources/samples/README.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import magwatch

SAMPLES = Path(__file__).resolve().parent / "samples"
GACC_SAMPLE = SAMPLES / "commodity_parameters_export_2022_excerpt.gbk.csv"

#: TEST FIGURES (kg, USD): China's exports of 85051110 by GACC partner code.
GACC_TEST_FIGURES = {
    "202605": {"502": ("美国", "100,000", "5,000,000"), "304": ("德国", "500,000", "25,000,000"),
               "133": ("韩国", "300,000", "15,000,000"), "309": ("荷兰", "65,000", "3,250,000"),
               "305": ("法国", "31,000", "1,550,000")},
    "202606": {"502": ("美国", "250,000", "12,500,000"), "304": ("德国", "520,000", "26,000,000"),
               "133": ("韩国", "280,000", "14,000,000"), "309": ("荷兰", "64,000", "3,200,000"),
               "305": ("法国", "33,000", "1,650,000")},
}
NOTE = '"测试数字，非真实贸易 (test figures, not real trade)"'
GACC_HEADER = ['"数据年月"', '"商品编码"', '"商品名称"', '"贸易伙伴编码"', '"贸易伙伴名称"',
               '"贸易方式编码"', '"贸易方式名称"', '"第一数量"', '"第一计量单位"', '"美元"', '"说明"']


def gacc_file(folder: Path, month: str) -> Path:
    """One month's export in the platform's bytes: GBK, TAB-comma, trailing empty field, LF."""
    rows = [GACC_HEADER]
    for code, (name, kg, usd) in GACC_TEST_FIGURES[month].items():
        rows.append([month, "85051110", '"稀土的永磁铁及磁化后准备制永磁铁的物品"', code, f'"{name}"',
                     "10", '"一般贸易"', f'"{kg}"', '"千克"', f'"{usd}"', NOTE])
    path = folder / f"gacc_TEST_FIGURES_{month}.gbk.csv"
    path.write_bytes("".join("\t,".join(r) + "\t,\n" for r in rows).encode("gbk"))
    return path


def sdmx_csv_file(folder: Path) -> Path:
    """Germany's imports from China in the SDMX-CSV columns of the real sample (TEST FIGURES)."""
    head = ["DATAFLOW", "LAST UPDATE", "freq", "reporter", "partner", "product", "flow",
            "indicators", "TIME_PERIOD", "OBS_VALUE"]
    fixed = ["ESTAT:DS-045409(1.0)", "14/08/26 11:00:00", "M", "DE", "CN", "85051110", "1"]
    rows = [head,
            fixed + ["QUANTITY_IN_100KG", "2026-05", "4900"], fixed + ["VALUE_IN_EUROS", "2026-05", "22000000"],
            fixed + ["QUANTITY_IN_100KG", "2026-06", "5150"], fixed + ["VALUE_IN_EUROS", "2026-06", "23000000"]]
    path = folder / "comext_sdmxcsv_TEST_FIGURES_DE_CN_85051110.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return path


def bulk18_file(folder: Path, bulk_file) -> Path:
    """The Netherlands' imports from China, current 18-column bulk layout (TEST FIGURES)."""
    base = {"REPORTER": "NL", "PARTNER": "CN", "TRADE_TYPE": "E", "PRODUCT_NC": "85051110",
            "FLOW": "1", "SUPPL_UNIT": "NO_SU", "VALUE_NAC": "0", "QUANTITY_SUPPL_UNIT": "0"}
    rows = [{**base, "STAT_PROCEDURE": "1", "PERIOD": "202605", "VALUE_EUR": "3000000", "QUANTITY_KG": "60000"},
            {**base, "STAT_PROCEDURE": "1", "PERIOD": "202606", "VALUE_EUR": "3100000", "QUANTITY_KG": "61000"},
            {**base, "STAT_PROCEDURE": "2", "PERIOD": "202606", "VALUE_EUR": "100000", "QUANTITY_KG": "2000"}]
    return bulk_file(folder, "bulk-18", rows, "comext_full_v2_TEST_FIGURES_202606.dat")


def bulk19_file(folder: Path, bulk_file) -> Path:
    """France's imports from China, the older 19-column bulk layout (TEST FIGURES)."""
    base = {"DECLARANT": "001", "DECLARANT_ISO": "FR", "PARTNER": "720", "PARTNER_ISO": "CN",
            "TRADE_TYPE": "E", "PRODUCT_NC": "85051110", "FLOW": "1", "STAT_REGIME": "1", "SUPP_UNIT": ""}
    rows = [{**base, "PERIOD": "202605", "VALUE_IN_EUROS": "1500000", "QUANTITY_IN_KG": "30000"},
            {**base, "PERIOD": "202606", "VALUE_IN_EUROS": "1600000", "QUANTITY_IN_KG": "32000"}]
    return bulk_file(folder, "bulk-19", rows, "comext_nc8_TEST_FIGURES_202606.dat")


def census_answer() -> bytes:
    """US imports of HS 850511 from China (5700) in the recorded Census shape (TEST FIGURES)."""
    return json.dumps([
        ["CTY_CODE", "CTY_NAME", "GEN_VAL_MO", "GEN_QY1_MO", "UNIT_QY1", "LAST_UPDATE",
         "I_COMMODITY", "COMM_LVL", "SUMMARY_LVL", "CTY_CODE", "time"],
        ["5700", "CHINA", "5200000", "98000", "KG", "2026-08-05", "850511", "HS6", "DET", "5700", "2026-05"],
        ["5700", "CHINA", "11900000", "240000", "KG", "2026-08-05", "850511", "HS6", "DET", "5700", "2026-06"],
    ]).encode()


#: Alert rules for a store that holds China customs' partner lines but no world total (the
#: platform's export by partner has none): rules on destinations only. TOML, as
#: `magwatch alerts test --rules FILE` reads it (docs/brief.md, 'Alerts').
RULES = """\
[[rule]]
name = "surge-top10"
description = "m/m > +100% for any top-10 destination"
kind = "threshold"
metric = "mom_pct"
op = ">"
threshold = 100
partners = "top10"

[[rule]]
name = "drop-top10"
description = "m/m < -50% for any top-10 destination"
kind = "threshold"
metric = "mom_pct"
op = "<"
threshold = -50
partners = "top10"
"""


def rules_file(folder: Path) -> Path:
    path = folder / "release-day-rules.toml"
    path.write_text(RULES, encoding="utf-8")
    return path


CENSUS_PATH = "/data/timeseries/intltrade/imports/hs"


COMTRADE_DA = "/public/v1/getDa/C/M/HS"
COMTRADE_DATA = "/public/v1/preview/C/M/HS"
COMTRADE_TEMPLATE = SAMPLES / "get_C_A_HS_r156_2010_TOTAL.raw.json"


def comtrade_answers() -> dict[str, bytes]:
    """China's HS6 850511 exports to the US (842) in the real Comtrade row layout (TEST FIGURES),
    with the data-availability answer that dates the release."""
    template = json.loads(COMTRADE_TEMPLATE.read_bytes())["data"][0]
    rows = []
    for period, kg in (("202605", 110000.0), ("202606", 270000.0)):
        row = dict(template)
        row.update(freqCode="M", period=period, refPeriodId=int(period + "01"), refYear=int(period[:4]),
                   refMonth=int(period[4:]), cmdCode="850511", partnerCode=842, flowCode="X",
                   netWgt=kg, qtyUnitCode=8, qtyUnitAbbr="kg", qty=kg, primaryValue=kg * 50,
                   cifvalue=None, fobvalue=kg * 50)
        rows.append(row)
    data = {"elapsedTime": "0.09 secs", "count": len(rows), "data": rows, "error": ""}
    released = "2026-09-30T10:00:00"
    da = {"elapsedTime": "0.01 secs", "count": 2, "error": "", "data": [
        {"datasetCode": "1", "typeCode": "C", "freqCode": "M", "period": p, "reporterCode": 156,
         "reporterISO": "CHN", "classificationCode": "H6", "totalRecords": 10, "datasetChecksum": 7,
         "firstReleased": released, "lastReleased": released} for p in ("202605", "202606")]}
    return {COMTRADE_DA: json.dumps(da).encode(), COMTRADE_DATA: json.dumps(data).encode()}


class RecordedAnswers:
    """A real HTTP server on 127.0.0.1 giving one recorded-shape answer per path, logging queries."""

    def __init__(self, routes: dict[str, bytes]) -> None:
        self.calls: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                parsed = urllib.parse.urlsplit(self.path)
                outer.calls.append({"path": parsed.path, **urllib.parse.parse_qs(parsed.query)})
                status, data = (200, routes[parsed.path]) if parsed.path in routes else (404, b"[]")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "RecordedAnswers":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def quiet_sources(monkeypatch, tmp_path):
    import stamina

    stamina.set_testing(True, attempts=2)
    for name in ("COMTRADE_API_KEY", "MAGWATCH_COMTRADE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CENSUS_API_KEY", "k" * 40)
    for source in ("CENSUS", "COMTRADE"):
        monkeypatch.setenv(f"MAGWATCH_{source}_CALLS_PER_MINUTE", "60000")
    monkeypatch.setenv("MAGWATCH_CACHE_DIR", str(tmp_path / "cache"))
    yield
    stamina.set_testing(False)


def partner(result: dict, code: str) -> dict:
    return next(e for e in result["partners"] if e["partner"] == code)


def json_of(out: str) -> dict:
    return json.loads(out)


# -- the file itself is in the platform's bytes -----------------------------------------------

def test_written_file_has_the_real_samples_bytes(tmp_path):
    real = GACC_SAMPLE.read_bytes()
    ours = gacc_file(tmp_path, "202606").read_bytes()
    for raw in (real, ours):
        assert raw.endswith(b"\t,\n") and b"\r" not in raw
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        for line in raw[:-1].split(b"\n"):
            *fields, last = line.split(b"\t,")
            assert last == b""                                      # the trailing empty field
            for f in fields:                                        # codes bare, text quoted
                assert f.isdigit() or f == b"?" or (f.startswith(b'"') and f.endswith(b'"')), f
    assert "测试数字" in ours.decode("gbk")                           # labelled as test figures


# -- the whole path ------------------------------------------------------------------------------

def test_release_day_path(tmp_path, cli, quiet_sources, comext_bulk_file):
    db = tmp_path / "store.duckdb"
    files = tmp_path / "files"
    files.mkdir()

    # 1. last month's export, then the month just released
    code, out, err = cli(db, "import", "--source", "gacc", str(gacc_file(files, "202605")),
                         "--vintage", "2026-06-20")
    assert code == 0, err
    assert "release 1 (gacc): 5 rows read, 5 added" in out
    rules = str(rules_file(files))
    code, out, err = cli(db, "alerts", "test", "--rules", rules, "--month", "2026-05", "--format", "json")
    assert code == 0, err
    assert json_of(out)["alerts"] == []                        # one month: no change to alert on

    code, out, err = cli(db, "import", "--source", "gacc", str(gacc_file(files, "202606")),
                         "--vintage", "2026-07-20")
    assert code == 0, err
    assert "release 2 (gacc): 5 rows read, 5 added" in out

    # 2. the monitor: June's figures, m/m computed from May, ranked among the destinations
    code, out, err = cli(db, "monitor", "--month", "2026-06", "--format", "json")
    assert code == 0, err
    june = json_of(out)
    usa, deu, kor = partner(june, "USA"), partner(june, "DEU"), partner(june, "KOR")
    assert (usa["net_weight_t"], deu["net_weight_t"], kor["net_weight_t"]) == (250.0, 520.0, 280.0)
    assert usa["value_usd"] == 12_500_000.0 and usa["unit_value_usd_kg"] == 50.0
    assert usa["mom_pct"] == pytest.approx(150.0)
    assert usa["basis"]["mom_pct"] == "computed from 2026-05: 100.0 t"
    assert kor["mom_pct"] == pytest.approx(-6.7)
    assert [e["partner"] for e in sorted(june["partners"], key=lambda e: e["rank"])] == [
        "DEU", "KOR", "USA", "NLD", "FRA"]
    assert usa["yoy_pct"] is None and "2025-06" in usa["basis"]["yoy_pct"]   # no June 2025 here
    assert june["world"] is None                                # the export by partner has no total
    assert {s["source"] for s in usa["sources"]} == {"gacc"}
    assert {s["file"] for s in usa["sources"]} == {"gacc_TEST_FIGURES_202606.gbk.csv",
                                                     "gacc_TEST_FIGURES_202605.gbk.csv"}
    assert {s["outlet"] for s in usa["sources"]} == {"China customs"}     # no web address
    # ... and as a table: no concentration over a total the store does not have, and says why
    code, out, err = cli(db, "monitor", "--month", "2026-06")
    assert code == 0, err
    assert "HHI" not in out and "lacks: no world total for 2026-06" in out

    # ... the alerts: the surge rule fires for the US now, and says why
    code, out, err = cli(db, "alerts", "test", "--rules", rules, "--month", "2026-06", "--format", "json")
    assert code == 0, err
    result = json_of(out)
    assert [(a["rule"], a["partner"], a["value"]) for a in result["alerts"]] == [
        ("surge-top10", "USA", 150.0)]
    assert result["alerts"][0]["evidence"]["basis_text"] == "computed from 2026-05: 100.0 t"
    assert [q["rule"] for q in result["quiet"]] == ["drop-top10"]

    # ... the brief: Germany leads (the largest destination), the US jump is named
    code, out, err = cli(db, "brief", "--month", "2026-06", "--scenario", "none")
    assert code == 0, err
    assert out.startswith("# China's rare-earth magnet exports to Germany edged up 4.0% in June 2026")
    assert "jumped 150.0%" in out and "The store has no world total for June 2026." in out
    assert "gacc_TEST_FIGURES_202606.gbk.csv row 1, vintage 2026-07-20" in out
    assert "the mirror check (partner imports against China's exports) is not possible" in out

    # 3. before any partner figure: the mirror says what to fetch
    code, out, err = cli(db, "mirror", "--partner", "DEU", "--format", "json")
    assert code == 0, err
    assert any("partner side missing" in e for e in json_of(out)["explanations"])

    # 4. Comext, each format, then the mirror reconciles June
    for path, expected in ((sdmx_csv_file(files), "release 3 (comext): 2 rows read, 2 added"),
                           (bulk18_file(files, comext_bulk_file), "release 4 (comext): 2 rows read, 2 added"),
                           (bulk19_file(files, comext_bulk_file), "release 5 (comext): 2 rows read, 2 added")):
        code, out, err = cli(db, "import", "--source", "comext", str(path), "--vintage", "2026-08-14")
        assert code == 0, (path.name, err)
        assert expected in out, out
    code, out, err = cli(db, "mirror", "--partner", "DEU", "--lag", "0", "--format", "json")
    assert code == 0, err
    mirror = json_of(out)
    months = {m["period"]: m for m in mirror["months"]}
    assert months["2026-06"]["status"] == "reconciled"
    assert months["2026-06"]["import_t"] == pytest.approx(515.0)
    assert months["2026-06"]["export_t"] == pytest.approx(520.0)
    assert months["2026-06"]["residual_t"] == pytest.approx(-5.0)
    for code_, t in (("NLD", 63.0), ("FRA", 32.0)):
        code, out, err = cli(db, "flows", "--reporter", code_, "--source", "comext", "--format", "csv")
        assert code == 0 and f"{code_},CHN,M,CN-EU,85051110,2026-06,1,{t}," in out, out
        code, out, err = cli(db, "mirror", "--partner", code_, "--lag", "0", "--format", "json")
        assert code == 0, err
        assert {m["period"]: m["status"] for m in json_of(out)["months"]} == {
            "2026-05": "reconciled", "2026-06": "reconciled"}

    # 5. Census, from a real HTTP server on 127.0.0.1; then the US mirror
    with RecordedAnswers({CENSUS_PATH: census_answer()}) as server:
        code, out, err = cli(db, "fetch", "census", "--commodity", "850511", "--flow", "M",
                             "--partner", "CHN", "--from", "2026-05", "--to", "2026-06",
                             "--base-url", server.url)
    assert code == 0, err
    assert server.calls and server.calls[0]["path"] == CENSUS_PATH
    assert server.calls[0]["time"] == ["from 2026-05 to 2026-06"]
    code, out, err = cli(db, "mirror", "--partner", "USA", "--lag", "0", "--format", "json")
    assert code == 0, err
    us = {m["period"]: m for m in json_of(out)["months"]}
    assert us["2026-06"]["status"] == "reconciled"
    assert us["2026-06"]["import_t"] == pytest.approx(240.0) and us["2026-06"]["export_t"] == 250.0
    assert json_of(out)["scope"]["share"] is None and "unadjusted for scope" in us["2026-06"]["note"]

    # 6. Comtrade's HS6 total of China's exports to the US: the mirror can now size the scope
    with RecordedAnswers(comtrade_answers()) as server:
        code, out, err = cli(db, "fetch", "comtrade", "--reporter", "CHN", "--partner", "USA",
                             "--commodity", "850511", "--flow", "X", "--from", "2026-05",
                             "--to", "2026-06", "--base-url", server.url)
    assert code == 0, err
    assert "2 rows read, 2 added" in out
    code, out, err = cli(db, "mirror", "--partner", "USA", "--lag", "0", "--format", "json")
    assert code == 0, err
    us = json_of(out)
    assert us["scope"]["share"] == pytest.approx(350 / 380)
    june = next(m for m in us["months"] if m["period"] == "2026-06")
    assert june["scope_t"] == pytest.approx(20.0)            # 270 t HS6 - 250 t 85051110
    with magwatch.open(db, read_only=True) as mw:
        sources = {r["source"] for r in mw.flows().to_pylist()}
    assert sources == {"gacc", "comext", "census", "comtrade"}


def test_example_rules_on_partner_lines_only(tmp_path):
    """A China-customs export by partner has no world total: rules on the world find no
    target rather than fail, and the partner rules fire."""
    from magwatch.report.alerts import EXAMPLE_RULES

    db = tmp_path / "store.duckdb"
    with magwatch.open(db) as mw:
        for month, vintage in (("202605", dt.date(2026, 6, 20)), ("202606", dt.date(2026, 7, 20))):
            mw.import_source_file(gacc_file(tmp_path, month), "gacc", vintage=vintage)
        result = mw.alerts(EXAMPLE_RULES, month="2026-06")
    assert [a.rule for a in result.alerts] == ["surge-top10"]
    # no concentration of a total the store does not have: the HHI rule says so
    why = {q["rule"]: q["why"] for q in result.quiet}["hhi-2500"]
    assert why == "no world total for 2026-06 or the month before: no concentration of the total to compare"
