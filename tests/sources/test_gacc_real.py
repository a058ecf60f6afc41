"""The China customs (GACC) reader against the platform's real bytes and real code output.

Real samples (tests/sources/samples/README.md says where each was recorded):
- commodity_parameters_export_2022_excerpt.gbk.csv: the platform's own 商品参数导出 export,
  byte for byte (GBK, ``\\t,`` separators, a trailing empty field, ``?`` for no unit);
- scraper_result_table_cells_excerpt.json: partner and trade-mode codes from platform output;
- chinautils_*.csv: example downloads (English and Chinese interface) recorded in
  turbanisch/chinautils, rebuilt from the code index's text: shape and values, not bytes.
Files written by the tests below carry test figures and say so in their name and in a
说明 column; none is passed off as real trade.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import magwatch
from magwatch.codes import to_iso3
from magwatch.errors import InputError
from magwatch.sources import get
from magwatch.sources.gacc import (canonical_header, read_commodity_parameters, trade_modes,
                                   unit_of, units)
from magwatch.store.schema import fetch_one

SAMPLES = Path(__file__).resolve().parent / "samples"
PARAMETERS = SAMPLES / "commodity_parameters_export_2022_excerpt.gbk.csv"
SCRAPER = SAMPLES / "scraper_result_table_cells_excerpt.json"
ENGLISH = SAMPLES / "chinautils_english-full.csv"
VINTAGE = dt.date(2026, 2, 20)


def gacc():
    return get("gacc")


# -- the commodity-parameter export, byte for byte -----------------------------------------

def raw_lines() -> list[bytes]:
    raw = PARAMETERS.read_bytes()
    assert raw.endswith(b"\t,\n") and b"\r" not in raw          # LF, every line ends in TAB comma
    return raw[:-1].split(b"\n")


def independent_split(line: bytes) -> list[str]:
    """The line cut at the literal TAB-comma separator, quotes taken off (no csv module)."""
    fields = line.decode("gbk").split("\t,")
    assert fields[-1] == ""                                     # the trailing empty field
    return [f[1:-1] if f.startswith('"') and f.endswith('"') else f for f in fields[:-1]]


def test_sample_is_gbk_not_utf8():
    raw = PARAMETERS.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("gbk") == raw.decode("gb18030")


def test_every_line_parses_as_the_bytes_say():
    lines = raw_lines()
    assert len(lines) == 22
    header = independent_split(lines[0])
    assert header == ["商品编码", "商品名称", "年份", "第一计量单位编码", "第一计量单位名称",
                      "第二计量单位编码", "第二计量单位名称"]
    parsed = read_commodity_parameters(PARAMETERS)
    assert len(parsed) == 21
    for line, record in zip(lines[1:], parsed):
        code, name, year, u1c, u1, u2c, u2 = independent_split(line)
        assert (record.code, record.name, record.year) == (code, name, int(year))
        assert (record.first_unit_code, record.first_unit) == (u1c, u1)
        expected_second = (None, None) if (u2c, u2) == ("?", "?") else (u2c, u2)
        assert (record.second_unit_code, record.second_unit) == expected_second
        assert not any("\t" in str(v) for v in vars(record).values())   # no TAB left in a field


def test_codes_unquoted_and_text_quoted_in_the_bytes():
    line = next(ln for ln in raw_lines() if ln.startswith(b"85051110"))
    assert line.split(b"\t,")[0] == b"85051110"                 # a code: no quotes
    assert line.split(b"\t,")[1].startswith(b'"')               # text: quoted
    assert line.split(b"\t,")[5:7] == [b"?", b'"?"']            # no second unit, code and name


def test_the_magnet_line_and_its_unit():
    by_code = {r.code: r for r in read_commodity_parameters(PARAMETERS)}
    magnet = by_code["85051110"]
    assert magnet.name == "稀土的永磁铁及磁化后准备制永磁铁的物品" and magnet.year == 2022
    assert (magnet.first_unit_code, magnet.first_unit) == ("09", "千克")
    assert (magnet.second_unit_code, magnet.second_unit) == (None, None)   # '?' is no unit
    assert units()["千克"].unit == "kg" and units()["千克"].kg_per_unit == 1.0
    # 8505 is not kg throughout: the 850590 lines count pieces first
    assert (by_code["85059010"].first_unit_code, by_code["85059010"].first_unit) == ("01", "个")


def test_code_01_is_both_ge_and_tou_so_a_unit_is_never_read_from_its_code():
    records = read_commodity_parameters(PARAMETERS)
    names_of_01 = {r.first_unit for r in records if r.first_unit_code == "01"}
    names_of_01 |= {r.second_unit for r in records if r.second_unit_code == "01"}
    assert names_of_01 == {"个", "头"}
    with pytest.raises(InputError, match="a code alone is ambiguous"):
        unit_of("", "01", file="f.csv", row=3)
    assert unit_of("头", "01", file="f.csv", row=3).unit == "u"
    with pytest.raises(InputError, match=r"row 3, field '第一计量单位编码': unit code '01' does not go with '千克'"):
        unit_of("千克", "01", file="f.csv", row=3)
    assert unit_of("?", "?", file="f.csv", row=3) is None


def test_the_parameter_list_is_not_imported_as_trade():
    with pytest.raises(InputError, match="commodity-parameter list"):
        gacc().read_file(PARAMETERS, vintage=VINTAGE)


# -- codes from real platform output ---------------------------------------------------------

SCRAPER_PARTNERS = {"145": "KAZ", "303": "GBR", "305": "FRA", "336": "LTU", "344": "RUS",
                    "501": "CAN", "502": "USA", "601": "AUS"}


def scraper_cells() -> list[dict]:
    return json.loads(SCRAPER.read_text(encoding="utf-8"))


def test_scraper_partner_codes_and_names_agree_with_the_table():
    cells = scraper_cells()
    assert len(cells) == 30
    pairs = {(c["first_q"], c["first_n"]) for c in cells}
    assert {code for code, _ in pairs} == set(SCRAPER_PARTNERS)
    for code, name in pairs:
        assert to_iso3(code, "gacc") == to_iso3(name, "gacc_name") == SCRAPER_PARTNERS[code]


def test_scraper_trade_modes_are_exactly_the_confirmed_rows():
    pairs = {(c["second_q"], c["second_n"]) for c in scraper_cells()}
    assert {code for code, _ in pairs} == {"10", "15", "19", "33", "34", "39"}
    confirmed = {c: r["name_zh"] for c, r in trade_modes().items() if r["confirmed"] == "true"}
    assert confirmed == dict(pairs)
    assert trade_modes()["14"]["name_zh"] == "来料加工贸易"            # 14 is not 进料加工贸易 (15)


def test_partner_table_marks_what_platform_output_shows():
    from magwatch.codes.tables import read_table

    notes = {r["code"]: r["note"] for r in read_table("gacc_partners.csv")}
    for code in SCRAPER_PARTNERS:
        assert "seen in real platform output (scraper result-table excerpt" in notes[code]
    for code in ("116", "133", "304", "143"):
        assert "seen in real platform output per the shared samples README" in notes[code]
    for code in ("110", "142"):                                   # still not seen in platform output
        assert "seen in real platform output" not in notes[code]


# -- English and Chinese exports ---------------------------------------------------------------

def test_english_export_reads_with_its_dimensions():
    rows = gacc().read_rows(ENGLISH, vintage=VINTAGE).to_pylist()
    assert [(r["partner"], r["trade_mode"], r["registration_place"]) for r in rows] == [
        ("HKG", "10", "44"), ("MAC", "10", "44"), ("KOR", "10", "31"), ("TWN", "15", "61"),
        ("CHL", "10", "37")]
    hk = rows[0]
    assert hk["period"] == dt.date(2026, 1, 1) and hk["commodity"] == "29012920"
    assert hk["net_weight_kg"] == 81782.0 and hk["quantity_unit"] == "kg"
    assert hk["value_usd"] == 315286.0 and hk["currency"] == "USD"
    assert hk["trade_mode_name"] == "Ordinary Trade"
    assert hk["registration_place_name"] == "Guangdong Province"
    assert rows[3]["trade_mode_name"] == "Processing with Imported Materials"


def test_english_export_observations_one_per_partner():
    table = gacc().read_file(ENGLISH, vintage=VINTAGE)
    assert table.num_rows == 5
    assert table.column("value_usd").to_pylist() == [315286.0, 28579.0, 199307.0, 234351.0, 4137.0]


def test_english_headers_both_spellings():
    # documented header names (turbanisch/chinautils data-raw/cc_variable_names.R)
    assert canonical_header("Supplimentary Quantity") == ("第二数量", False)
    assert canonical_header("Supplementary  Unit") == ("第二计量单位", False)
    assert canonical_header("Renminbi Yuan") == ("人民币", False)
    assert canonical_header("Customs Regime code") == ("贸易方式编码", False)


@pytest.mark.parametrize("name", ["chinautils_chinese-full.csv", "chinautils_english-degenerate.csv"])
def test_a_download_without_the_month_is_refused_not_guessed(name):
    with pytest.raises(InputError, match=r"field '数据年月': missing column '数据年月' \(Date of data\)"):
        gacc().read_file(SAMPLES / name, vintage=VINTAGE)


# -- files in the platform's bytes with test figures -----------------------------------------

NOTE = '"测试数字，非真实贸易 (test figures, not real trade)"'


def platform_file(tmp_path: Path, header: list[str], rows: list[list[str]],
                  name: str = "gacc_test_figures_not_trade.gbk.csv") -> Path:
    """A file in the platform's bytes: GBK, TAB-comma separators, trailing empty field, LF."""
    lines = ["\t,".join(cells) + "\t," for cells in [header + ['"说明"'], *[r + [NOTE] for r in rows]]]
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    return path


MODE_HEADER = ['"数据年月"', '"商品编码"', '"商品名称"', '"贸易伙伴编码"', '"贸易伙伴名称"',
               '"贸易方式编码"', '"贸易方式名称"', '"注册地编码"', '"注册地名称"', '"第一数量"',
               '"第一计量单位"', '"美元"']


def mode_row(partner: str, name: str, mode: str, mode_name: str, place: str, kg: str, usd: str) -> list[str]:
    return ["202506", "85051110", '"稀土的永磁铁"', partner, f'"{name}"', mode, f'"{mode_name}"',
            place, '"某省"', f'"{kg}"', '"千克"', f'"{usd}"']


def test_trade_mode_and_place_kept_then_summed(tmp_path):
    path = platform_file(tmp_path, MODE_HEADER, [
        mode_row("502", "美国", "10", "一般贸易", "32", "1,000", "10,000"),
        mode_row("502", "美国", "15", "进料加工贸易", "32", "200", "2,000"),
        mode_row("304", "德国", "10", "一般贸易", "33", "300", "3,000")])
    detail = gacc().read_rows(path, vintage=VINTAGE).to_pylist()
    assert [(r["partner"], r["trade_mode"], r["registration_place"], r["net_weight_kg"]) for r in detail] == [
        ("USA", "10", "32", 1000.0), ("USA", "15", "32", 200.0), ("DEU", "10", "33", 300.0)]
    obs = gacc().read_file(path, vintage=VINTAGE).to_pylist()
    usa = obs[0]
    assert (usa["partner"], usa["net_weight_kg"], usa["value_usd"]) == ("USA", 1200.0, 12000.0)
    assert "sum of 2 rows" in usa["note"] and "trade modes 10, 15" in usa["note"]
    assert "registration places 32" in usa["note"]


def test_a_mode_named_as_another_mode_is_an_error(tmp_path):
    path = platform_file(tmp_path, MODE_HEADER, [
        mode_row("502", "美国", "14", "进料加工贸易", "32", "1", "1")])
    with pytest.raises(InputError, match=r"row 1, field '贸易方式名称': trade mode 14 is named '进料加工贸易'"):
        gacc().read_file(path, vintage=VINTAGE)


def test_the_same_breakdown_twice_is_an_error(tmp_path):
    row = mode_row("502", "美国", "10", "一般贸易", "32", "1", "1")
    path = platform_file(tmp_path, MODE_HEADER, [row, row])
    with pytest.raises(InputError, match=r"row 2, .*first at row 1\) with the same trade mode"):
        gacc().read_file(path, vintage=VINTAGE)


CUMULATIVE_HEADER = ['"数据年月"', '"商品编码"', '"贸易伙伴编码"', '"第一数量"', '"第一计量单位"',
                     '"美元"', '"累计第一数量"', '"累计美元"']


def test_cumulative_columns_beside_monthly_ones_are_not_read(tmp_path):
    path = platform_file(tmp_path, CUMULATIVE_HEADER, [
        ["202506", "85051110", "502", '"100"', '"千克"', '"1,000"', '"600"', '"6,000"']])
    [row] = gacc().read_file(path, vintage=VINTAGE).to_pylist()
    assert (row["period"], row["period_months"]) == (dt.date(2025, 6, 1), 1)
    assert (row["net_weight_kg"], row["value_usd"]) == (100.0, 1000.0)     # never the 累计 figures
    assert "cumulative (累计) columns not read" in row["note"]


def test_cumulative_columns_alone_are_year_to_date(tmp_path):
    header = ['"数据年月"', '"商品编码"', '"贸易伙伴编码"', '"累计第一数量"', '"第一计量单位"', '"累计美元"']
    path = platform_file(tmp_path, header, [["202506", "85051110", "502", '"600"', '"千克"', '"6,000"']])
    [row] = gacc().read_file(path, vintage=VINTAGE).to_pylist()
    assert (row["period"], row["period_months"]) == (dt.date(2025, 1, 1), 6)   # January to June
    assert (row["net_weight_kg"], row["value_usd"]) == (600.0, 6000.0)
    assert "cumulative (累计) figure: 2025-01 to 2025-06" in row["note"]


def test_a_monthly_quantity_is_never_paired_with_a_cumulative_value(tmp_path):
    header = ['"数据年月"', '"商品编码"', '"贸易伙伴编码"', '"第一数量"', '"第一计量单位"', '"累计美元"']
    path = platform_file(tmp_path, header, [["202506", "85051110", "502", '"100"', '"千克"', '"6,000"']])
    [row] = gacc().read_file(path, vintage=VINTAGE).to_pylist()
    assert (row["period_months"], row["value_usd"]) == (6, 6000.0)
    assert row["net_weight_kg"] is None and row["quantity"] is None


def test_unit_name_with_its_code_and_a_question_mark_unit(tmp_path):
    header = ['"数据年月"', '"商品编码"', '"贸易伙伴编码"', '"第一数量"', '"第一计量单位编码"',
              '"第一计量单位"', '"美元"']
    path = platform_file(tmp_path, header, [
        ["202506", "85051110", "502", '"100"', "09", '"千克"', '"1,000"'],
        ["202506", "85051110", "304", '"0"', "?", '"?"', '"500"']])
    usa, deu = gacc().read_file(path, vintage=VINTAGE).to_pylist()
    assert (usa["net_weight_kg"], usa["quantity_unit"]) == (100.0, "kg")
    assert (deu["quantity"], deu["quantity_unit"], deu["net_weight_kg"]) == (None, None, None)
    bad = platform_file(tmp_path, header, [["202506", "85051110", "502", '"100"', "01", '"千克"', '"1"']],
                        name="gacc_test_figures_bad_unit.gbk.csv")
    with pytest.raises(InputError, match=r"row 1, field '第一计量单位编码'"):
        gacc().read_file(bad, vintage=VINTAGE)


# -- end to end through the command line -----------------------------------------------------



def test_import_platform_bytes_with_test_figures_end_to_end(tmp_path, cli):
    path = platform_file(tmp_path, MODE_HEADER, [
        mode_row("502", "美国", "10", "一般贸易", "32", "1,000", "10,000"),
        mode_row("502", "美国", "15", "进料加工贸易", "32", "200", "2,000"),
        mode_row("304", "德国", "10", "一般贸易", "33", "300", "3,000")])
    db = tmp_path / "store.duckdb"
    code, out, err = cli(db, "import", "--source", "gacc", str(path), "--vintage", "2025-07-20")
    assert code == 0, err
    assert "release 1 (gacc): 2 rows read, 2 added" in out
    code, out, _ = cli(db, "flows", "--source", "gacc", "--format", "csv")
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("reporter,partner,flow")
    assert any(ln.startswith("CHN,USA,X,CN-CHN,85051110,2025-06,1,1.2,") for ln in lines)
    code, out, _ = cli(db, "import", "--source", "gacc", str(path), "--vintage", "2025-07-20")
    assert code == 0 and "already ingested" in out
    with magwatch.open(db, read_only=True) as mw:
        count = fetch_one(mw.store.con.execute("SELECT count(*) FROM observation WHERE source = 'gacc'"))[0]
    assert count == 2


def test_import_refuses_a_bad_file_in_one_line_and_stores_nothing(tmp_path, cli):
    path = platform_file(tmp_path, MODE_HEADER, [
        mode_row("502", "美国", "10", "一般贸易", "32", "1", "1"),
        mode_row("777", "某地", "10", "一般贸易", "32", "1", "1")])
    db = tmp_path / "store.duckdb"
    code, out, err = cli(db, "import", "--source", "gacc", str(path), "--vintage", "2025-07-20")
    assert code == 2
    assert err.strip().count("\n") == 0 and "row 2, field '贸易伙伴编码'" in err
    assert "Traceback" not in err
    with magwatch.open(db, read_only=True) as mw:
        count = fetch_one(mw.store.con.execute("SELECT count(*) FROM observation WHERE source = 'gacc'"))[0]
    assert count == 0
