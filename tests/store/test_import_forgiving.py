"""Files as people actually save them: German-locale CSV, capitalised headers, Excel dates,
country names for codes, a China-customs export without --source. Figures are test figures."""

from __future__ import annotations

import pytest


def rows(mw, source):
    return mw.store.con.execute(
        "SELECT reporter, partner, flow, commodity, strftime(period, '%Y-%m'), net_weight_kg "
        "FROM observation_latest WHERE source = ? ORDER BY ALL", [source]).fetchall()


# --------------------------------------------------------------------------- 1. delimiters

def test_german_locale_csv_semicolons_and_decimal_commas(mw, tmp_path):
    path = tmp_path / "de.csv"
    path.write_bytes("Reporter;Partner;Flow;Commodity;Period;Net_Weight_T\n"
                     "CHN;DEU;X;85051110;2025-06;764,5\n"
                     "CHN;FRA;X;85051110;2025-06;12\n".encode("utf-8-sig"))
    release = mw.import_file(path, source="de-test")
    assert release.rows_read == 2
    assert rows(mw, "de-test") == [("CHN", "DEU", "X", "85051110", "2025-06", 764500.0),
                                   ("CHN", "FRA", "X", "85051110", "2025-06", 12000.0)]


def test_tab_separated_with_spaced_capitalised_headers(mw, tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text(" Reporter \t Partner \tFLOW\tcommodity\tPeriod\tnet_weight_t\n"
                    "CHN\tUSA\tX\t85051110\t2025-06\t3.5\n")
    mw.import_file(path, source="tab-test")
    assert rows(mw, "tab-test") == [("CHN", "USA", "X", "85051110", "2025-06", 3500.0)]


def test_decimal_comma_in_a_comma_file_is_still_refused(mw, tmp_path, refused):
    path = tmp_path / "c.csv"
    path.write_text('reporter,partner,flow,commodity,period,net_weight_t\n'
                    'CHN,DEU,X,85051110,2025-06,"764,5"\n')
    err = refused(mw, path)
    assert (err.row, err.field) == (1, "net_weight_t")


def test_semicolon_file_with_german_thousands_is_refused(mw, tmp_path, refused):
    path = tmp_path / "g.csv"
    path.write_text("reporter;partner;flow;commodity;period;net_weight_t\n"
                    "CHN;DEU;X;85051110;2025-06;1.234,5\n")
    err = refused(mw, path)
    assert (err.row, err.field) == (1, "net_weight_t")
    assert "1.234,5" in str(err)


def test_semicolon_file_short_row_names_its_row(mw, tmp_path, refused):
    path = tmp_path / "s.csv"
    path.write_text("reporter;partner;flow;commodity;period;net_weight_t\n"
                    "CHN;DEU;X;85051110;2025-06;1\n"
                    "CHN;DEU;X;85051110\n")
    err = refused(mw, path)
    assert err.row == 2


def test_capitalised_parquet_and_excel_headers(mw, tmp_path):
    import openpyxl
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"Reporter": ["CHN"], "Partner": ["JPN"], "Flow": ["X"],
                             "Commodity": ["85051110"], "Period": ["2025-06"],
                             "Net_Weight_T": [2.0]}), tmp_path / "p.parquet")
    mw.import_file(tmp_path / "p.parquet", source="pq-test")
    assert rows(mw, "pq-test") == [("CHN", "JPN", "X", "85051110", "2025-06", 2000.0)]
    book = openpyxl.Workbook()
    book.active.append(["REPORTER", " Partner", "Flow", "Commodity", "Period", "Net_weight_t"])
    book.active.append(["CHN", "KOR", "X", "85051110", "2025-06", 4])
    book.save(tmp_path / "x.xlsx")
    mw.import_file(tmp_path / "x.xlsx", source="xl-test")
    assert rows(mw, "xl-test") == [("CHN", "KOR", "X", "85051110", "2025-06", 4000.0)]


# --------------------------------------------------------------------------- 2. Excel dates

def test_excel_date_on_the_first_is_that_month(mw, tmp_path):
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["reporter", "partner", "flow", "commodity", "period", "net_weight_t"])
    book.active.append(["CHN", "USA", "X", "85051110", dt.datetime(2025, 4, 1), 1])
    book.active.append(["CHN", "USA", "X", "85051110", dt.date(2025, 5, 1), 2])
    book.active.append(["CHN", "USA", "X", "85051110", "2025-06-01 00:00:00", 3])
    book.save(tmp_path / "d.xlsx")
    mw.import_file(tmp_path / "d.xlsx", source="date-test")
    assert [r[4] for r in rows(mw, "date-test")] == ["2025-04", "2025-05", "2025-06"]


@pytest.mark.parametrize("cell", ["2025-04-15", "2025-04-01 13:30:00", "2025-04-01x"])
def test_excel_date_on_another_day_is_refused(mw, tmp_path, cell, refused):
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["reporter", "partner", "flow", "commodity", "period", "net_weight_t"])
    book.active.append(["CHN", "USA", "X", "85051110", "2025-03", 1])
    value = dt.datetime.fromisoformat(cell) if cell[-1].isdigit() else cell
    book.active.append(["CHN", "USA", "X", "85051110", value, 1])
    book.save(tmp_path / "d.xlsx")
    err = refused(mw, tmp_path / "d.xlsx")
    assert (err.row, err.field) == (2, "period")
    assert "first of the month" in str(err)


# --------------------------------------------------------------------------- 3. names for codes

def test_country_names_and_aliases_for_codes(mw, tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("reporter,partner,flow,commodity,period,net_weight_t\n"
                    "China,Germany,X,85051110,2025-06,1\n"
                    "CHN,U.S.,X,85051110,2025-06,2\n"
                    "chn,south korea,X,85051110,2025-06,3\n"
                    "CHN, Hong  Kong ,X,85051110,2025-06,4\n"
                    "中国,德国,M,85051110,2025-06,5\n"
                    "CHN,美国,M,85051110,2025-06,6\n", encoding="utf-8")
    mw.import_file(path, source="name-test")
    got = {(r[1], r[2]) for r in rows(mw, "name-test")}
    assert got == {("DEU", "X"), ("USA", "X"), ("KOR", "X"), ("HKG", "X"), ("DEU", "M"),
                   ("USA", "M")}
    assert {r[0] for r in rows(mw, "name-test")} == {"CHN"}


def test_unknown_country_name_is_refused(mw, tmp_path, refused):
    path = tmp_path / "n.csv"
    path.write_text("reporter,partner,flow,commodity,period,net_weight_t\n"
                    "CHN,Germany,X,85051110,2025-06,1\n"
                    "CHN,Atlantis,X,85051110,2025-06,2\n")
    err = refused(mw, path)
    assert (err.row, err.field) == (2, "partner") and "'Atlantis'" in str(err)
    assert "did you mean" not in str(err)
    path.write_text("reporter,partner,flow,commodity,period,net_weight_t\n"
                    "CHN,Germny,X,85051110,2025-06,1\n")
    assert "(got 'Germny'; did you mean DEU (Germany)?)" in str(refused(mw, path))


def test_unknown_column_suggests_the_close_one(mw, tmp_path, refused):
    path = tmp_path / "c.csv"
    path.write_text("reporter,partner,flow,commodity,period,net_wieght_t\n"
                    "CHN,DEU,X,85051110,2025-06,1\n")
    err = refused(mw, path)
    assert err.field == "net_wieght_t" and "did you mean 'net_weight_t'?" in str(err)



def test_names_in_capitals_are_names(mw, tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("reporter,partner,flow,commodity,period,net_weight_t\n"
                    "CHINA,UK,X,85051110,2025-06,1\n"
                    "CHINA,GERMANY,X,85051110,2025-06,2\n"
                    "CHINA,U.S.,X,85051110,2025-06,3\n")
    mw.import_file(path, source="caps-test")
    assert [(r[0], r[1]) for r in rows(mw, "caps-test")] == [
        ("CHN", "DEU"), ("CHN", "GBR"), ("CHN", "USA")]

# --------------------------------------------------------------------------- 4. China customs

GACC_LIKE = ("贸易伙伴名称,商品编码,数据年月,第一数量,美元\n"    # test figures, China-customs-like
             "德国,85051110,202506,764500,1234567\n")


def test_china_customs_export_without_source_points_to_gacc(mw, tmp_path, refused):
    path = tmp_path / "gacc.csv"
    path.write_bytes(GACC_LIKE.encode("gb18030"))
    err = refused(mw, path)
    assert "--source gacc" in str(err) and str(path) in str(err)


def test_import_help_lists_every_file_source():
    from typer.testing import CliRunner

    from magwatch.cli import app
    from magwatch.cli.data import FILE_SOURCES
    from magwatch.sources import names
    from magwatch.sources.run import is_file_source

    assert sorted(s.split()[0] for s in FILE_SOURCES) == sorted(n for n in names() if is_file_source(n))
    out = CliRunner().invoke(app, ["import", "--help"], env={"COLUMNS": "200"}).output
    for name in (s.split()[0] for s in FILE_SOURCES):
        assert name in out
