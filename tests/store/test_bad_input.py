"""Each kind of bad input: a one-line error naming file, row and field; the store unchanged."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import magwatch
from magwatch.errors import InputError

HEADER = "reporter,partner,flow,commodity,period,net_weight_t,value,currency"
GOOD = "CHN,USA,X,85051110,2025-06,353,,"


def snapshot(mw: magwatch.Magwatch) -> str:
    con = mw.store.con
    parts = []
    for table in ("release", "observation", "observation_latest", "claim_latest"):
        rows = con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        parts.append(repr(rows))
    return hashlib.sha256("".join(parts).encode()).hexdigest()


CASES = {
    # name: (file body, expected row, expected field, words in the message)
    "missing column": ("reporter,partner,flow,period,net_weight_t\nCHN,USA,X,2025-06,1\n",
                       None, "commodity", "missing required column"),
    "unknown column": (HEADER + ",colour\n" + GOOD + ",red\n", None, "colour", "unknown column"),
    "quote in a column name": (HEADER + ',"x""y"\n' + GOOD + ",red\n", None, 'x"y', "unknown column"),
    "a column twice, other case": (HEADER + ",Reporter\n" + GOOD + ",CHN\n", None, "Reporter",
                                   "appears twice"),
    "a reserved column name": (HEADER + ",_row\n" + GOOD + ",1\n", None, "_row", "reserves"),
    "unparseable number": (HEADER + "\n" + GOOD + "\nCHN,DEU,X,85051110,2025-06,7x4,,\n",
                           2, "net_weight_t", "not a number"),
    "thousands separator": (HEADER + '\nCHN,DEU,X,85051110,2025-06,"1,346",,\n',
                            1, "net_weight_t", "thousands"),
    "not finite": (HEADER + "\nCHN,DEU,X,85051110,2025-06,inf,,\n", 1, "net_weight_t", "not a number"),
    "negative weight": (HEADER + "\n" + GOOD + "\nCHN,DEU,X,85051110,2025-06,-5,,\n",
                        2, "net_weight_t", "negative"),
    "negative value": (HEADER + "\nCHN,DEU,X,85051110,2025-06,5,-1,USD\n", 1, "value", "negative"),
    "unknown partner": (HEADER + "\n" + GOOD + "\nCHN,XYZ,X,85051110,2025-06,5,,\n",
                        2, "partner", "unknown country code"),
    "unknown reporter": (HEADER + "\nCHINX,USA,X,85051110,2025-06,5,,\n", 1, "reporter",
                         "unknown country code"),
    "unknown currency": (HEADER + "\nCHN,USA,X,85051110,2025-06,5,10,XXY\n", 1, "currency",
                         "unknown currency"),
    "value without currency": (HEADER + "\nCHN,USA,X,85051110,2025-06,5,10,\n", 1, "currency",
                               "needs its currency"),
    "unknown unit": ("reporter,partner,flow,commodity,period,quantity,quantity_unit\n"
                     "CHN,USA,X,85051110,2025-06,5,bushel\n", 1, "quantity_unit", "unknown unit"),
    "bad flow": (HEADER + "\nCHN,USA,Q,85051110,2025-06,5,,\n", 1, "flow", "X (export) or M"),
    "bad month": (HEADER + "\nCHN,USA,X,85051110,2025-13,5,,\n", 1, "period", "YYYY-MM"),
    "period too early": (HEADER + "\nCHN,USA,X,85051110,1850-01,5,,\n", 1, "period", "out of range"),
    "period in the future": (HEADER + "\nCHN,USA,X,85051110,2999-01,5,,\n", 1, "period", "out of range"),
    "bad commodity": (HEADER + "\nCHN,USA,X,8505-11,2025-06,5,,\n", 1, "commodity", "digits"),
    "no figure": (HEADER + "\nCHN,USA,X,85051110,2025-06,,,\n", 1, "net_weight_kg", "no figure"),
    "duplicate key": (HEADER + "\n" + GOOD + "\nCHN,DEU,X,85051110,2025-06,1,,\n" + GOOD + "\n",
                      3, "period", "duplicate key"),
    "truncated row": (HEADER + "\n" + GOOD + "\nCHN,DEU,X,850511", 2, None, "truncated"),
    "unterminated quote": (HEADER + "\n" + GOOD + '\nCHN,DEU,X,"85051110,2025-06,1,,\n', 2, None,
                           "truncated"),
    "header only": (HEADER + "\n", None, None, "no data rows"),
    "empty": ("", None, None, "empty"),
    "bad vintage": (HEADER + ",vintage\n" + GOOD + ",2025-02-30\n", 1, "vintage", "vintage"),
}


@pytest.mark.parametrize("name", CASES)
def test_bad_csv_is_refused_with_its_place_and_store_is_unchanged(mw, tmp_path, name):
    body, row, field, words = CASES[name]
    before = snapshot(mw)
    path = tmp_path / "bad.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as info:
        mw.import_file(path, vintage="2025-07-20")
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    assert words in message
    assert info.value.row == row
    if field is not None:
        assert info.value.field == field and repr(field) in message
    assert snapshot(mw) == before


def test_text_neither_utf8_nor_gb18030(mw, tmp_path):
    before = snapshot(mw)
    path = tmp_path / "bad.csv"
    path.write_bytes((HEADER + "\n" + GOOD + "\n").encode() + b"CHN,USA,X,85051110,2025-07,\xff\xff\xff,,\n")
    with pytest.raises(InputError, match="neither UTF-8 nor GB18030"):
        mw.import_file(path)
    assert snapshot(mw) == before


def test_truncated_parquet(mw, tmp_path):
    before = snapshot(mw)
    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"reporter": ["CHN"] * 1000, "partner": ["USA"] * 1000}), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated"):
        mw.import_file(path)
    assert snapshot(mw) == before


def test_truncated_excel(mw, tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputError, match="not a readable Excel workbook"):
        mw.import_file(path)


def test_excel_formula_like_number_cell_is_data_not_a_formula(mw, tmp_path):
    import openpyxl

    before = snapshot(mw)
    book = openpyxl.Workbook()
    book.active.append(["reporter", "partner", "flow", "commodity", "period", "net_weight_t"])
    book.active.append(["CHN", "USA", "X", "85051110", "2025-08", "=1+1"])
    book.save(tmp_path / "f.xlsx")
    with pytest.raises(InputError) as info:
        mw.import_file(tmp_path / "f.xlsx")
    assert info.value.row == 1 and info.value.field == "net_weight_t"
    assert "'=1+1'" in str(info.value)
    assert snapshot(mw) == before


def test_unsupported_file_type(mw, tmp_path):
    path = tmp_path / "a.json"
    path.write_text("[]")
    with pytest.raises(InputError, match="unsupported file type"):
        mw.import_file(path)


@pytest.mark.parametrize("vintage, words", [
    ("2099-01-31", ["parameter 'vintage'", "2099-01-31 is in the future", "typo"]),
    ("2025-06-15", ["field 'vintage'", "the import's --vintage 2025-06-15",
                    "before the end of its period", "(line 2)"]),
])
def test_a_vintage_given_for_the_import_is_checked_and_named(mw, tmp_path, cli, store_snapshot,
                                                            vintage, words):
    path = tmp_path / "one.csv"
    path.write_text("reporter,partner,flow,commodity,period,net_weight_t\n"
                    "CHN,FRA,X,85051110,2025-06,1.5\n")
    before = store_snapshot(mw)
    mw.close()
    code, out, err = cli(mw.store.path, "import", str(path), "--vintage", vintage)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err
    with magwatch.open(mw.store.path, read_only=True) as again:
        assert store_snapshot(again) == before
