"""Parsers against the real recorded samples, and every code/format trap named in sources.md."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from magwatch.errors import InputError, ParameterError, UnknownCodeError
from magwatch.sources import Fetched, Query, Request, get, names
from magwatch.sources.census import census_code
from magwatch.sources.comext import comext_code
from magwatch.sources.comtrade import comtrade_code

SAMPLES = Path(__file__).resolve().parent / "samples"
RETRIEVED = dt.datetime(2026, 1, 5, 12, 0)


def fetched(body: bytes, request: Request, url: str = "http://127.0.0.1/x") -> Fetched:
    return Fetched(request, url, 200, {}, body, RETRIEVED)


def comtrade_request(commodities, released=None, freq="A") -> Request:
    return Request("k", "/data/v1/get/C/A/HS", [("period", "2010")], (dt.date(2010, 1, 1),), "m",
                   {"freq": freq, "reporter": 156, "released": released or {}, "unreleased": [],
                    "partners": [], "commodities": commodities})


def test_registry_has_the_four_sources():
    from magwatch.records import SOURCE_NAMES

    assert names() == ["census", "comext", "comtrade", "gacc"] == sorted(SOURCE_NAMES)
    with pytest.raises(ParameterError, match="unknown source 'oec'"):
        get("oec")


def test_a_cell_figure_is_finite_and_not_negative():
    from magwatch.sources import checked_figure

    assert checked_figure("1234.5", "1,234.5", file="f.csv", row=3, field="kg") == 1234.5
    for bad, message in (("x", "expected a number, got 'x'"), ("-1", "non-negative"),
                         ("inf", "finite"), ("nan", "finite")):
        with pytest.raises(InputError, match=message) as caught:
            checked_figure(bad, bad, file="f.csv", row=3, field="kg")
        assert (caught.value.file, caught.value.row, caught.value.field) == ("f.csv", 3, "kg")


def test_a_month_is_too_soon_until_its_lag_has_passed():
    from magwatch.sources import too_soon

    this_month = dt.date.today().replace(day=1)
    assert too_soon(this_month, 0)              # it has not even ended
    assert not too_soon(dt.date(2000, 1, 1), 50)


# -- Comtrade ------------------------------------------------------------------------------

def real_comtrade() -> dict:
    return json.loads((SAMPLES / "get_C_A_HS_r156_2010_TOTAL.raw.json").read_bytes())


def test_comtrade_real_answer_total_rows_are_not_a_requested_hs_line():
    body = (SAMPLES / "get_C_A_HS_r156_2010_TOTAL.raw.json").read_bytes()
    table = get("comtrade").normalise(fetched(body, comtrade_request(["850511"])))
    assert table.num_rows == 0          # cmdCode TOTAL is dropped, never stored as a commodity


def test_comtrade_real_shape_relabelled_as_hs6_maps_codes_values_and_vintage():
    # The real answer's rows with cmdCode set to 850511 (figures remain the sample's own
    # China-2010 totals; this checks the mapping, not magnet data).
    data = real_comtrade()
    for row in data["data"]:
        row["cmdCode"] = "850511"
    body = json.dumps(data).encode()
    table = get("comtrade").normalise(fetched(body, comtrade_request(
        ["850511"], released={"2010": "2011-07-04T10:00:00#123"})))
    rows = sorted(table.to_pylist(), key=lambda r: (r["partner"], r["flow"]))
    assert [(r["partner"], r["flow"]) for r in rows] == [("ARG", "M"), ("ARG", "X"), ("DEU", "M"), ("DEU", "X")]
    arg_m = rows[0]
    assert arg_m["reporter"] == "CHN" and arg_m["period"] == dt.date(2010, 1, 1)
    assert arg_m["period_months"] == 12                    # refMonth 52 = annual
    assert arg_m["value"] == 6804128143.0 and arg_m["value_usd"] == 6804128143.0
    assert arg_m["currency"] == "USD" and arg_m["net_weight_kg"] is None
    assert arg_m["vintage"] == dt.date(2011, 7, 4) and arg_m["classification"] == "HS"
    assert "reported as H3" in arg_m["note"]


def test_comtrade_code_traps():
    data = real_comtrade()
    template = data["data"][0]
    rows = []
    for partner, extra in ((842, {}), (490, {}), (0, {}), (251, {}), (699, {}),
                           (276, {"partner2Code": 32}), (276, {"motCode": 1000}),
                           (276, {"customsCode": "C01"}), (276, {"flowCode": "RX"})):
        r = copy.deepcopy(template)
        r.update(cmdCode="850511", partnerCode=partner, freqCode="M", period="202506", refMonth=6,
                 netWgt=1000.0, qtyUnitCode=8, qtyUnitAbbr="kg", qty=1000.0, **extra)
        rows.append(r)
    body = json.dumps({"elapsedTime": "1 secs", "count": len(rows), "data": rows, "error": ""}).encode()
    table = get("comtrade").normalise(fetched(body, comtrade_request(["850511"], freq="M")))
    partners = table.column("partner").to_pylist()
    # 842 USA (not ISO 840), 490 Taiwan ("Other Asia, nes"), 0 World, 251 France, 699 India;
    # breakdown rows (partner2, mode of transport, customs procedure) and re-exports dropped.
    assert partners == ["USA", "TWN", "WLD", "FRA", "IND"]
    assert set(table.column("period").to_pylist()) == {dt.date(2025, 6, 1)}
    assert set(table.column("period_months").to_pylist()) == {1}
    assert set(table.column("quantity_unit").to_pylist()) == {"kg"}


def test_comtrade_unknown_partner_code_names_field_and_row():
    data = real_comtrade()
    data["data"][1]["cmdCode"] = "850511"
    data["data"][1]["partnerCode"] = 4242
    with pytest.raises(UnknownCodeError, match=r"row 2, field 'partnerCode': unknown comtrade country code 4242"):
        get("comtrade").normalise(fetched(json.dumps(data).encode(), comtrade_request(["850511"])))


def test_comtrade_digest_ignores_elapsed_time_only():
    raw = (SAMPLES / "get_C_A_HS_r156_2010_TOTAL.raw.json").read_bytes()
    other = raw.replace(b'"elapsedTime":"0.09 secs"', b'"elapsedTime":"1.50 secs"')
    changed = raw.replace(b"6804128143.0", b"6804128144.0")
    src = get("comtrade")
    req = comtrade_request(["850511"])
    assert src.digest(fetched(raw, req)) == src.digest(fetched(other, req))
    assert src.digest(fetched(raw, req)) != src.digest(fetched(changed, req))


def test_comtrade_reporter_codes_from_comtrades_own_list():
    assert comtrade_code("USA", "reporter") == 842
    assert comtrade_code("DEU", "reporter") == 276          # not the expired 280
    assert comtrade_code("TWN", "partner") == 490
    assert comtrade_code("FRA", "reporter") == 251
    assert comtrade_code("WLD", "partner") == 0
    assert comtrade_code("156", "reporter") == 156
    with pytest.raises(ParameterError, match="'reporter'"):
        comtrade_code("XXX", "reporter")


def test_comtrade_bulk_real_sitc_head_has_no_hs_rows(tmp_path):
    path = tmp_path / "bulk.tsv"
    path.write_bytes((SAMPLES / "bulk_file_C_A_32_196201_S1_O.head.tsv").read_bytes())
    table = get("comtrade").read_file(path, vintage=dt.date(2003, 4, 29))
    assert table.num_rows == 0          # SITC S1 codes are never read as HS


def test_comtrade_bulk_hs_variant_keeps_only_six_digit_codes(tmp_path):
    # The real bulk head (CRLF, tabs, CIFValue/FOBValue spelling, 0/1 flags, empty nulls)
    # with the classification set to H5 and one row's code set to a 6-digit line.
    raw = (SAMPLES / "bulk_file_C_A_32_196201_S1_O.head.tsv").read_bytes()
    assert b"\r\n" in raw and b"CIFValue" in raw
    lines = raw.decode().split("\r\n")
    header = lines[0].split("\t")
    out = [lines[0]]
    for i, line in enumerate(l for l in lines[1:] if l):
        cells = line.split("\t")
        cells[header.index("classificationSearchCode")] = "HS"
        cells[header.index("classificationCode")] = "H5"
        if i == 1:
            cells[header.index("cmdCode")] = "850511"
        out.append("\t".join(cells))
    path = tmp_path / "C_A_32_H5.txt"
    path.write_bytes("\r\n".join(out).encode() + b"\r\n")
    table = get("comtrade").read_file(path, vintage=dt.date(2003, 4, 29))
    assert table.num_rows == 1
    row = table.to_pylist()[0]
    assert row["reporter"] == "ARG" and row["partner"] == "WLD" and row["flow"] == "M"
    assert row["net_weight_kg"] == 29460.0 and row["value_usd"] == 50897.0
    assert row["period_months"] == 12 and row["is_estimated"] is False


# -- Census --------------------------------------------------------------------------------

def census_request(flow: str) -> Request:
    return Request("k", "/p", [], (dt.date(2016, 1, 1),), None, {"flow": flow, "commodity": "2710121510"})


def test_census_real_exports_answer():
    body = (SAMPLES / "exports_hs_ALL_VAL_MO_HS10_2710121510_CTY1220_from2016-01.json").read_bytes()
    table = get("census").normalise(fetched(body, census_request("X")))
    rows = table.to_pylist()
    assert rows[0]["partner"] == "CAN" and rows[0]["reporter"] == "USA"
    assert rows[0]["flow"] == "X" and rows[0]["commodity"] == "2710121510"
    assert rows[0]["classification"] == "HTS-US"
    assert rows[0]["period"] == dt.date(2016, 1, 1) and rows[0]["value_usd"] == 155905.0
    assert rows[0]["net_weight_kg"] is None            # no quantity asked for in that recording
    assert rows[0]["vintage"] == RETRIEVED.date() and "retrieval date" in rows[0]["note"]
    assert len(rows) == len(json.loads(body)) - 1


def test_census_groups_dropped_total_kept_as_world():
    # The real end-use rows (total '-', group 0003 EU, ...) as the API's array of strings.
    lines = (SAMPLES / "imports_enduse_2024-01_head.csv").read_text().splitlines()
    header = lines[0].split(",")
    data = [["CTY_CODE", "CTY_NAME", "GEN_VAL_MO", "I_COMMODITY", "time"]]
    for line in lines[1:]:
        cells = dict(zip(header, line.split(",")))
        data.append([cells["CTY_CODE"], cells["CTY_NAME"], cells["GEN_VAL_MO"], "850511", cells["time"]])
    data.append(["5700", "CHINA", "123", "850511", "2024-01"])
    table = get("census").normalise(fetched(json.dumps(data).encode(), census_request("M")))
    assert table.column("partner").to_pylist() == ["WLD", "CHN"]
    assert table.column("value").to_pylist() == [253796657727.0, 123.0]


def test_census_quantity_units_and_last_update():
    data = [["CTY_CODE", "GEN_VAL_MO", "GEN_QY1_MO", "UNIT_QY1", "LAST_UPDATE", "I_COMMODITY", "time"],
            ["5700", "1000", "250", "KG", "2025-08-05", "8505110070", "2025-06"],
            ["5880", "1000", "7", "NO", "2025-08-05", "8505110070", "2025-06"]]
    rows = get("census").normalise(fetched(json.dumps(data).encode(), census_request("M"))).to_pylist()
    assert rows[0]["net_weight_kg"] == 250.0 and rows[0]["quantity_unit"] == "kg"
    assert rows[1]["net_weight_kg"] is None and rows[1]["quantity_unit"] == "u"
    assert rows[0]["vintage"] == dt.date(2025, 8, 5) and rows[0]["vintage_precision"] == "day"
    assert rows[1]["partner"] == "JPN"


def test_census_codes():
    assert census_code("CHN") == "5700" and census_code("TWN") == "5830"
    assert census_code("5700") == "5700"
    with pytest.raises(UnknownCodeError):
        census_code("9999")


# -- Comext (no real answer exists publicly: a JSON-stat body in the documented layout) -------

def jsonstat(values: dict, updated="2026-02-13T11:00:00+0100") -> bytes:
    dims = {"freq": ["M"], "reporter": ["EL", "DE"], "partner": ["CN", "WORLD"],
            "product": ["85051110"], "flow": ["1"], "indicators": ["QUANTITY_IN_100KG", "VALUE_IN_EUROS"],
            "time": ["2025-05", "2025-06"]}
    return json.dumps({
        "version": "2.0", "class": "dataset", "label": "EU trade since 1988 by HS2-4-6 and CN8",
        "updated": updated, "id": list(dims), "size": [len(v) for v in dims.values()],
        "dimension": {d: {"label": d, "category": {"index": {c: i for i, c in enumerate(v)}}}
                      for d, v in dims.items()},
        "value": values}).encode()


def flat(reporter, partner, indicator, time) -> str:
    # row-major over sizes [1, 2, 2, 1, 1, 2, 2]
    r = ["EL", "DE"].index(reporter)
    p = ["CN", "WORLD"].index(partner)
    i = ["QUANTITY_IN_100KG", "VALUE_IN_EUROS"].index(indicator)
    t = ["2025-05", "2025-06"].index(time)
    return str(((r * 2 + p) * 2 + i) * 2 + t)


def test_comext_sparse_jsonstat_units_codes_and_vintage():
    values = {flat("EL", "CN", "QUANTITY_IN_100KG", "2025-06"): 12.5,
              flat("EL", "CN", "VALUE_IN_EUROS", "2025-06"): 40000,
              flat("DE", "CN", "VALUE_IN_EUROS", "2025-05"): 9000,
              flat("DE", "WORLD", "VALUE_IN_EUROS", "2025-05"): 99999}
    request = Request("k", "/p", [], (dt.date(2025, 5, 1), dt.date(2025, 6, 1)))
    rows = get("comext").normalise(fetched(jsonstat(values), request)).to_pylist()
    assert [(r["reporter"], r["partner"], f"{r['period']:%Y-%m}") for r in rows] == [
        ("DEU", "CHN", "2025-05"), ("GRC", "CHN", "2025-06")]      # EL = Greece; WORLD dropped
    greece = rows[1]
    assert greece["net_weight_kg"] == 1250.0                          # 100 kg units x 100
    assert greece["value"] == 40000.0 and greece["currency"] == "EUR"
    assert greece["value_usd"] is None                                # no invented FX rate
    assert greece["vintage"] == dt.date(2026, 2, 13) and greece["classification"] == "CN-EU"
    assert rows[0]["net_weight_kg"] is None                           # a gap stays a gap


def test_comext_codes():
    assert comext_code("EUU", "reporter") == "EU27_2020"
    assert comext_code("GRC", "reporter") == "EL"
    assert comext_code("CHN", "partner") == "CN"
    assert comext_code("de", "reporter") == "DE"


# -- GACC (no real export exists publicly: files built in the documented layout) ------------

GACC_HEADER = "数据年月,商品编码,商品名称,贸易伙伴编码,贸易伙伴名称,第一数量,第一计量单位,第二数量,第二计量单位,美元,"


def gacc_file(tmp_path: Path, lines: list[str], *, header: str = GACC_HEADER, encoding="gb18030",
              name="gacc.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(("\r\n".join([header, *lines]) + "\r\n").encode(encoding))
    return path


def test_gacc_gbk_thousands_trailing_column(tmp_path):
    path = gacc_file(tmp_path, [
        '202506,85051110,稀土永磁铁,502,美国,"353,000",千克,,,"21,000,000",',
        '202506,85051110,稀土永磁铁,304,德国,"1,346,000",千克,,,"50,000,000",',
    ], encoding="gbk")
    rows = get("gacc").read_file(path, vintage=dt.date(2025, 7, 20)).to_pylist()
    assert [(r["partner"], r["net_weight_kg"], r["value_usd"]) for r in rows] == [
        ("USA", 353000.0, 21000000.0), ("DEU", 1346000.0, 50000000.0)]
    assert rows[0]["reporter"] == "CHN" and rows[0]["flow"] == "X"
    assert rows[0]["classification"] == "CN-CHN" and rows[0]["commodity"] == "85051110"
    assert rows[0]["source_file"] == "gacc.csv" and rows[0]["source_row"] == 1


def test_gacc_unknown_partner_code_is_an_error_naming_it(tmp_path):
    path = gacc_file(tmp_path, ['202506,85051110,稀土永磁铁,502,美国,"1",千克,,,"1",',
                                '202506,85051110,稀土永磁铁,998,某地,"1",千克,,,"1",'])
    with pytest.raises(UnknownCodeError, match=r"row 2, field '贸易伙伴编码': unknown gacc country code '998'"):
        get("gacc").read_file(path)


def test_gacc_code_and_name_disagree(tmp_path):
    # 几内亚 (Guinea) is not 几内亚比绍 (Guinea-Bissau): exact names only.
    from magwatch.codes import to_iso3

    guinea = to_iso3("几内亚", "gacc_name")
    assert guinea != to_iso3("几内亚比绍", "gacc_name")
    path = gacc_file(tmp_path, ['202506,85051110,稀土永磁铁,502,几内亚比绍,"1",千克,,,"1",'])
    with pytest.raises(InputError, match="row 1, field '贸易伙伴名称'"):
        get("gacc").read_file(path)


def test_gacc_cny_trade_mode_layout_sums_breakdown(tmp_path):
    header = "数据年月,商品编码,商品名称,贸易伙伴编码,贸易伙伴名称,贸易方式编码,贸易方式名称,人民币,"
    path = gacc_file(tmp_path, ['202501,85051110,稀土永磁铁,141,越南,10,一般贸易,"1,000",',
                                '202501,85051110,稀土永磁铁,141,越南,15,进料加工贸易,"500",'],
                     header=header)
    rows = get("gacc").read_file(path, vintage=dt.date(2025, 2, 20)).to_pylist()
    assert len(rows) == 1
    assert rows[0]["partner"] == "VNM" and rows[0]["value"] == 1500.0 and rows[0]["currency"] == "CNY"
    assert rows[0]["value_usd"] is None and "sum of 2 rows" in rows[0]["note"]


def test_gacc_bad_inputs_name_file_row_field(tmp_path):
    bad_month = gacc_file(tmp_path, ['2025/06,85051110,x,502,美国,"1",千克,,,"1",'], name="a.csv")
    with pytest.raises(InputError, match=r"a.csv, row 1, field '数据年月'"):
        get("gacc").read_file(bad_month)
    bad_number = gacc_file(tmp_path, ['202506,85051110,x,502,美国,"1",千克,,,"abc",'], name="b.csv")
    with pytest.raises(InputError, match=r"b.csv, row 1, field '美元'"):
        get("gacc").read_file(bad_number)
    no_period = gacc_file(tmp_path, ['85051110,x,502,美国,"1",千克,,,"1",'], name="c.csv",
                          header="商品编码,商品名称,贸易伙伴编码,贸易伙伴名称,第一数量,第一计量单位,第二数量,第二计量单位,美元,")
    with pytest.raises(InputError, match="missing column '数据年月'"):
        get("gacc").read_file(no_period)
    bad_unit = gacc_file(tmp_path, ['202506,85051110,x,502,美国,"1",磅,,,"1",'], name="d.csv")
    with pytest.raises(InputError, match=r"d.csv, row 1, field '第一计量单位'"):
        get("gacc").read_file(bad_unit)


def test_gacc_utf8_and_xlsx(tmp_path):
    utf8 = gacc_file(tmp_path, ['202506,85051110,x,116,日本,"2,000",千克,,,"3",'], encoding="utf-8",
                     name="u.csv")
    assert get("gacc").read_file(utf8).column("partner").to_pylist() == ["JPN"]
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(GACC_HEADER.rstrip(",").split(","))
    sheet.append(["202506", "85051110", "x", "133", "韩国", "2,000", "千克", None, None, "3"])
    path = tmp_path / "g.xlsx"
    book.save(path)
    assert get("gacc").read_file(path).column("partner").to_pylist() == ["KOR"]


def test_query_months_and_parameters():
    q = Query(start=dt.date(2024, 11, 1), end=dt.date(2025, 2, 1))
    assert [f"{m:%Y-%m}" for m in q.months()] == ["2024-11", "2024-12", "2025-01", "2025-02"]
    with pytest.raises(ParameterError, match="'to'"):
        Query(start=dt.date(2025, 2, 1), end=dt.date(2025, 1, 1)).months()
