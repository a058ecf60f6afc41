"""Import integrity: the release key is the hash of exactly the bytes read, codes stay text,
row numbers are the rows a user sees. Figures are test figures."""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import magwatch
import magwatch.store.core as core
from magwatch.errors import InputError

HEADER = "reporter,partner,flow,commodity,period,net_weight_t"


def commodities(mw, source):
    return mw.store.con.execute("SELECT commodity, classification FROM observation_latest "
                                "WHERE source = ? ORDER BY ALL", [source]).fetchall()


# --------------------------------------------------------------------------- a growing file

def test_a_file_appended_to_during_its_import_is_refused_then_stored_whole(mw, tmp_path,
                                                                          monkeypatch, refused):
    path = tmp_path / "growing.csv"
    path.write_text(HEADER + "\n" + "".join(f"CHN,DEU,X,85051110,2025-0{m},{m}\n"
                                            for m in range(1, 4)))
    real = core.stage_file

    def stage_then_grow(con, p, *args):
        rows = real(con, p, *args)
        with open(p, "a") as fh:                       # the writer is still at work
            fh.write("CHN,DEU,X,85051110,2025-04,4\n")
        return rows

    monkeypatch.setattr(core, "stage_file", stage_then_grow)
    err = refused(mw, path, source="grow-test")
    assert "changed while it was read" in str(err) and str(path) in str(err)
    monkeypatch.setattr(core, "stage_file", real)
    release = mw.import_file(path, source="grow-test")
    assert not release.skipped and release.rows_read == 4
    assert release.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_china_customs_file_growing_during_its_import_is_refused(mw, tmp_path, monkeypatch, refused):
    from magwatch.sources import get

    path = tmp_path / "gacc.csv"
    path.write_bytes(b"whatever")
    source = type(get("gacc"))

    def read_then_grow(self, p, **kw):
        with open(p, "ab") as fh:
            fh.write(b"more")
        return pa.table({"x": [1]})

    monkeypatch.setattr(source, "read_file", read_then_grow)
    err = refused(mw, path, source="gacc")
    assert "changed while it was read" in str(err)


# --------------------------------------------------------------------------- codes stay text

@pytest.mark.parametrize("header", [" commodity", "Commodity ", " COMMODITY "])
def test_a_spaced_commodity_header_keeps_leading_zeros(mw, tmp_path, header):
    path = tmp_path / "spaced.csv"
    path.write_text(HEADER.replace("commodity", header) + "\n"
                    "USA,DEU,X,0850511100,2025-06,1\n")
    mw.import_file(path, source="spaced-test")
    assert commodities(mw, "spaced-test") == [("0850511100", "HTS-US")]


@pytest.mark.parametrize("column", ["commodity", "flow", "reporter"])
def test_a_parquet_code_column_typed_as_a_number_is_refused(mw, tmp_path, column, refused):
    values = {"reporter": ["USA"], "partner": ["DEU"], "flow": ["X"], "commodity": ["0850511100"],
              "period": ["2025-06"], "net_weight_t": [1.0]}
    values[column] = [850511100]
    path = tmp_path / "numeric.parquet"
    pq.write_table(pa.table(values), path)
    err = refused(mw, path, source="pq-test")
    assert err.field == column and "not text" in str(err) and "leading zeros" in str(err)


def test_an_xlsx_numeric_commodity_cell_is_refused_with_its_row(mw, tmp_path, refused):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(HEADER.split(","))
    book.active.append(["USA", "DEU", "X", "0850511100", "2025-06", 1])
    book.active.append(["USA", "DEU", "X", 850511100, "2025-07", 1])
    path = tmp_path / "numeric.xlsx"
    book.save(path)
    err = refused(mw, path, source="xl-test")
    assert (err.row, err.field) == (2, "commodity") and "not text" in str(err)


def test_a_code_whose_length_does_not_fit_its_classification_is_refused(mw, tmp_path, refused):
    path = tmp_path / "len.csv"
    path.write_text(HEADER + ",classification\nUSA,DEU,X,850511100,2025-06,1,HTS-US\n")
    err = refused(mw, path, source="len-test")
    assert (err.row, err.field) == (1, "commodity") and "classification" in str(err)


# --------------------------------------------------------------------------- no server paths

def test_an_upload_names_the_file_the_user_gave_never_a_temporary_path(bundled_db, tmp_path):
    import shutil

    from fastapi.testclient import TestClient

    from magwatch.web.app import create_app

    copy = tmp_path / "w.duckdb"
    shutil.copy(bundled_db, copy)
    client = TestClient(create_app(copy, token="t0ken-for-tests", max_upload_bytes=4096),
                        raise_server_exceptions=False)
    auth = {"Authorization": "Bearer t0ken-for-tests"}
    bad = (HEADER + "\nCHN,XYZ,X,85051110,2025-06,1\n").encode()
    r = client.post("/api/v1/import", files={"file": ("mine.csv", bad, "text/csv")}, headers=auth)
    assert r.status_code == 400 and "magwatch-upload" not in r.text and "/tmp" not in r.text
    assert r.json()["detail"].startswith("mine.csv, row 1, field 'partner'")
    good = (HEADER + "\nCHN,FRA,X,85051110,2025-06,1\n").encode()
    r = client.post("/api/v1/import", files={"file": ("mine.csv", good, "text/csv")}, headers=auth)
    assert r.status_code == 201, r.text
    client.close()
    with magwatch.open(copy, read_only=True) as mw:
        files = mw.store.con.execute("SELECT DISTINCT source_file FROM observation_latest "
                                     "WHERE source = 'user'").fetchall()
    assert files == [("mine.csv",)]


# --------------------------------------------------------------------------- row numbers

def test_row_numbers_skip_blank_lines_and_name_the_line_of_a_quoted_newline(mw, tmp_path, refused):
    path = tmp_path / "lines.csv"
    path.write_text(HEADER + "\nCHN,DEU,X,85051110,2025-06,1\n\n"
                    '"CHN","FRA",X,85051110,2025-06,"2"\n'
                    'CHN,"multi\nline",X,85051110,2025-06,2\n')
    err = refused(mw, path, source="rows-test")
    assert (err.row, err.field) == (3, "partner") and "(line 5)" in str(err)


def test_row_numbers_below_a_blank_row_of_a_workbook_name_the_sheet_row(mw, tmp_path, refused):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(HEADER.split(","))
    book.active.append(["CHN", "DEU", "X", "85051110", "2025-06", 1])
    book.active.append([None] * 6)
    book.active.append(["CHN", "XYZ", "X", "85051110", "2025-06", 1])
    path = tmp_path / "rows.xlsx"
    book.save(path)
    err = refused(mw, path, source="rows-test")
    assert (err.row, err.field) == (2, "partner") and "(sheet row 4)" in str(err)


# --------------------------------------------------------------------------- text and ceilings

@pytest.mark.parametrize("extra, value, field", [
    ("source_url", "javascript:alert(1)", "source_url"),
    ("source_url", "http://exa mple.org/x", "source_url"),
    ("note", "\x1b[31mred\x1b[0m", "note"),
    ("note", "bell\x07", "note"),
    ("net_weight_kg", "1e308", "net_weight_kg"),
])
def test_unsafe_text_and_absurd_figures_are_refused(mw, tmp_path, extra, value, field, refused):
    path = tmp_path / "t.csv"
    header = HEADER if extra != "net_weight_kg" else HEADER.replace("net_weight_t", "net_weight_kg")
    cols = header if extra == "net_weight_kg" else header + "," + extra
    row = "CHN,DEU,X,85051110,2025-06," + (value if extra == "net_weight_kg" else f'1,"{value}"')
    path.write_text(cols + "\n" + row + "\n")
    err = refused(mw, path, source="text-test")
    assert (err.row, err.field) == (1, field)


@pytest.mark.parametrize("source", ["", "a\nb", "x'y"])
def test_a_bad_source_name_is_refused(mw, tmp_path, source, refused):
    path = tmp_path / "s.csv"
    path.write_text(HEADER + "\nCHN,DEU,X,85051110,2025-06,1\n")
    assert "source name" in str(refused(mw, path, source=source))


# --------------------------------------------------------------------------- calendar bounds

@pytest.mark.parametrize("row, field, words", [
    ("CHN,DEU,X,85051110,1987-12,1", "period", "period out of range (1988-01"),
    ("DEU,DEU,X,85051110,2025-06,1", "partner", "reporter and partner are the same country"),
    ("WLD,DEU,X,85051110,2025-06,1", "reporter", "a partner, not a reporter"),
    ("XNS,WLD,X,85051110,2025-06,1", "reporter", "a partner, not a reporter"),
    ("XBK,DEU,X,85051110,2025-06,1", "reporter", "a partner, not a reporter"),
    ("CHN,SUN,X,85051110,2025-06,1", "partner", "a former entity"),
    ("YUG,DEU,X,85051110,2025-06,1", "reporter", "a former entity"),
])
def test_what_no_real_figure_can_be_is_refused(mw, tmp_path, row, field, words, refused):
    path = tmp_path / "b.csv"
    path.write_text(HEADER + "\n" + row + "\n")
    err = refused(mw, path, source="bounds-test")
    assert (err.row, err.field) == (1, field) and words in str(err)


def test_what_real_figures_can_be_is_taken(mw, tmp_path):
    """The EU reports as a whole; the USSR in 1990, the world as a partner and the world
    total (WLD to WLD) are real."""
    path = tmp_path / "ok.csv"
    path.write_text(HEADER + "\nEUU,CHN,M,85051110,2025-06,1\nCHN,SUN,X,85051110,1990-06,1\n"
                    "CHN,WLD,X,85051110,2025-06,1\nWLD,WLD,X,85051110,2025-06,1\n")
    assert mw.import_file(path, source="bounds-test", vintage="2025-08-01").rows_added == 4


@pytest.mark.parametrize("vintage", ["1901-01-01", "2025-06-30"])
def test_a_vintage_before_its_period_ended_is_refused(mw, tmp_path, vintage, refused):
    path = tmp_path / "v.csv"
    path.write_text(HEADER + ",vintage\nCHN,DEU,X,85051110,2025-06,1," + vintage + "\n")
    err = refused(mw, path, source="bounds-test")
    assert err.field == "vintage" and "before the end of its period" in str(err)
    path.write_text(HEADER + "\nCHN,DEU,X,85051110,2025-06,1\n")
    with pytest.raises(InputError, match="before the end of its period"):
        mw.import_file(path, source="bounds-test", vintage=vintage)


def test_a_currency_that_is_no_money_is_refused(mw, tmp_path, refused):
    path = tmp_path / "c.csv"
    path.write_text(HEADER + ",value,currency\nCHN,DEU,X,85051110,2025-06,1,5,XAU\n")
    err = refused(mw, path, source="bounds-test")
    assert err.field == "currency" and "'XAU'" in str(err)
