"""The Excel reader: a workbook is read whole or refused, with one line naming the file,
the sheet and the row as Excel shows it. Workbooks are built here with openpyxl; their
figures are test figures."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from magwatch.store import xlsx

HEADER = ["reporter", "partner", "flow", "commodity", "period", "net_weight_t"]
ROW = ["CHN", "DEU", "X", "85051110", "2025-06", 1]


@pytest.fixture
def refused(refused):
    """The shared check (tests/conftest.py); a workbook's refusal also names the file."""
    return lambda mw, path, *words, **kw: refused(mw, path, str(path), *words, **kw)


def stored(mw, source):
    return mw.store.con.execute("SELECT partner, strftime(period, '%Y-%m'), net_weight_kg "
                                "FROM observation_latest WHERE source = ? ORDER BY ALL",
                                [source]).fetchall()


def workbook(path: Path, *sheets: tuple[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def month(m: int, partner: str = "DEU", weight: object = 1) -> list:
    return ["CHN", partner, "X", "85051110", f"2025-{m:02d}", weight]


def rewrite(path: Path, member: str, edit) -> Path:
    """Rewrite one member of a workbook's zip archive with ``edit(bytes) -> bytes``."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts[member] = edit(parts[member])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


SHEET1 = "xl/worksheets/sheet1.xml"


# --------------------------------------------------------------------------- title rows

def titled(path: Path, *, merged: bool = True) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws["A1"] = "Rare-earth magnet exports, China (test figures)"
    if merged:
        ws.merge_cells("A1:F1")
    ws["A2"] = "Unit: tonnes"
    for row in (HEADER, month(4), month(5), [None] * 6, month(6, "XYZ")):
        ws.append(row)
    book.save(path)
    return path


def test_a_title_row_and_a_merged_title_cell_above_the_header_are_skipped(mw, tmp_path, refused):
    path = titled(tmp_path / "titled.xlsx")
    with zipfile.ZipFile(path) as archive:
        assert b"mergeCell " in archive.read(SHEET1)       # the title really is merged
    err = refused(mw, path, source="title-test")
    # data row 3 (blank rows are no data rows) is sheet row 7: title rows are counted
    assert (err.row, err.field) == (3, "partner") and str(err).endswith("(sheet row 7)")


def test_a_titled_sheet_is_imported_whole(mw, tmp_path):
    book = openpyxl.load_workbook(titled(tmp_path / "t.xlsx"))
    book.active["B7"] = "FRA"
    book.save(tmp_path / "t.xlsx")
    release = mw.import_file(tmp_path / "t.xlsx", source="title-test")
    assert release.rows_read == 3
    assert stored(mw, "title-test") == [("DEU", "2025-04", 1000.0), ("DEU", "2025-05", 1000.0),
                                        ("FRA", "2025-06", 1000.0)]


def test_a_merged_cell_below_the_header_is_refused(mw, tmp_path, refused):
    book = openpyxl.load_workbook(titled(tmp_path / "t.xlsx"))
    book.active["B7"] = "FRA"
    book.active.merge_cells("B4:B5")        # one partner for two rows, as a reader sees it
    book.save(tmp_path / "t.xlsx")
    err = refused(mw, tmp_path / "t.xlsx")
    assert str(err).endswith("cells B4:B5 are merged (sheet row 4); unmerge them so that each "
                             "row holds its own values")


def test_a_row_of_values_above_the_header_is_refused(mw, tmp_path, refused):
    path = workbook(tmp_path / "above.xlsx", ("Sheet", [month(3), [], HEADER, month(4)]))
    err = refused(mw, path)
    assert "sheet row 1 holds 6 values above the header (sheet row 3)" in str(err)


def test_no_header_in_the_first_rows_is_said(mw, tmp_path, refused):
    rows = [[f"note {i}"] for i in range(1, 25)] + [HEADER, month(4)]
    err = refused(mw, workbook(tmp_path / "deep.xlsx", ("Sheet", rows)))
    assert f"has no header in its first {xlsx.HEADER_ROWS} rows" in str(err)
    assert "reporter, partner, flow, commodity, period" in str(err)


def test_an_unnamed_header_column_names_its_letter_and_sheet_row(mw, tmp_path, refused):
    header = HEADER[:3] + [None] + HEADER[3:]
    path = workbook(tmp_path / "gap.xlsx", ("Sheet", [["Title"], header, month(4)]))
    assert "header column D (sheet row 2) has no name" in str(refused(mw, path))


# --------------------------------------------------------------------------- sheets

def test_every_sheet_with_the_same_header_is_part_of_the_release(mw, tmp_path):
    reordered = [HEADER[5], *HEADER[:5]]
    path = workbook(tmp_path / "two.xlsx",
                    ("Apr", [HEADER, month(4)]), ("Empty", []),
                    ("May", [["May (test figures)"], reordered, [2, *month(5)[:5]]]))
    release = mw.import_file(path, source="sheets-test")
    assert release.rows_read == 2
    assert stored(mw, "sheets-test") == [("DEU", "2025-04", 1000.0), ("DEU", "2025-05", 2000.0)]


def test_a_bad_row_on_a_second_sheet_names_that_sheet(mw, tmp_path, refused):
    path = workbook(tmp_path / "two.xlsx", ("Apr", [HEADER, month(4)]),
                    ("May", [["Title"], HEADER, month(5), month(6, "XYZ")]))
    err = refused(mw, path)
    assert (err.row, err.field) == (3, "partner")
    assert str(err).endswith("(sheet 'May' row 4)")


def test_a_notes_sheet_is_refused_by_name_and_read_with_sheet(mw, tmp_path, refused):
    path = workbook(tmp_path / "notes.xlsx", ("Data", [HEADER, month(4)]),
                    ("Notes", [["These figures are test figures."]]))
    err = refused(mw, path)
    assert "sheet 'Notes' holds data but not the columns of sheet 'Data'" in str(err)
    assert "--sheet NAME (sheets with data: 'Data', 'Notes')" in str(err)
    release = mw.import_file(path, source="sheet-test", sheet="Data")
    assert release.rows_read == 1 and stored(mw, "sheet-test") == [("DEU", "2025-04", 1000.0)]


def test_a_notes_sheet_first_is_refused_with_the_sheets_to_choose(mw, tmp_path, refused):
    path = workbook(tmp_path / "notes.xlsx", ("Notes", [["Read me"]]),
                    ("Data", [HEADER, month(4)]))
    err = refused(mw, path)
    assert "sheet 'Notes' has no header" in str(err) and "--sheet NAME" in str(err)


def test_a_bad_row_of_a_chosen_sheet_names_its_row(mw, tmp_path, refused):
    path = workbook(tmp_path / "pick.xlsx", ("Apr", [HEADER, month(4)]),
                    ("May", [["Title"], HEADER, month(5, "XYZ")]))
    err = refused(mw, path, sheet="May")
    assert err.row == 1 and str(err).endswith("(sheet 'May' row 3)")


def test_each_sheet_read_alone_is_a_release_of_its_own(mw, tmp_path):
    path = workbook(tmp_path / "months.xlsx", ("Apr", [HEADER, month(4)]),
                    ("May", [HEADER, month(5)]))
    first = mw.import_file(path, source="alone-test", sheet="Apr")
    second = mw.import_file(path, source="alone-test", sheet="May")
    again = mw.import_file(path, source="alone-test", sheet="Apr")
    assert (first.rows_added, second.rows_added) == (1, 1) and not second.skipped
    assert again.skipped and again.release_id == first.release_id
    assert stored(mw, "alone-test") == [("DEU", "2025-04", 1000.0), ("DEU", "2025-05", 1000.0)]


@pytest.mark.parametrize("name, said", [("Nope", "no sheet named 'Nope'; the sheets are "
                                                 "'Data', 'Notes'"),
                                        ("Notes", "sheet 'Notes' has no header")])
def test_a_sheet_that_cannot_be_read_as_asked_is_refused(mw, tmp_path, name, said, refused):
    path = workbook(tmp_path / "notes.xlsx", ("Data", [HEADER, month(4)]),
                    ("Notes", [["Read me"]]))
    assert said in str(refused(mw, path, sheet=name))


@pytest.mark.parametrize("name, source", [("a.csv", "user"), ("a.xlsx", "gacc")])
def test_sheet_is_for_workbooks_in_the_canonical_columns_only(mw, tmp_path, name, source, refused):
    path = workbook(tmp_path / "a.xlsx", ("Data", [HEADER, month(4)]))
    if name == "a.csv":
        path = tmp_path / name
        path.write_text(",".join(HEADER) + "\nCHN,DEU,X,85051110,2025-06,1\n")
    err = refused(mw, path, sheet="Data", source=source)
    assert "--sheet applies to an Excel workbook in the canonical columns only" in str(err)


def test_too_many_sheets_are_refused_before_reading(mw, tmp_path, refused):
    sheets = [(f"S{i}", [HEADER, month(4)]) for i in range(xlsx.MAX_SHEETS + 1)]
    err = refused(mw, workbook(tmp_path / "many.xlsx", *sheets))
    assert f"workbook has {xlsx.MAX_SHEETS + 1} sheets; the limit is {xlsx.MAX_SHEETS}" in str(err)


# --------------------------------------------------------------------------- cells outside

def test_a_value_in_a_column_with_no_header_is_refused(mw, tmp_path, refused):
    path = workbook(tmp_path / "extra.xlsx",
                    ("Sheet", [["Title"], HEADER, month(4), month(5) + [None, "stray"]]))
    err = refused(mw, path)
    assert err.row == 2 and "a value in column H, which has no header (got 'stray')" in str(err)
    assert str(err).endswith("(sheet row 4)")


def test_a_stray_cell_at_the_last_cell_of_a_sheet_is_refused_before_reading(mw, tmp_path, refused):
    book = openpyxl.Workbook()
    for row in (HEADER, month(4)):
        book.active.append(row)
    book.active["XFD1048576"] = "x"
    path = tmp_path / "stray.xlsx"
    book.save(path)
    assert path.stat().st_size < 8000
    err = refused(mw, path)
    assert ("declares the range A1:XFD1048576 (16,384 columns); the limit is 64 columns"
            in str(err))


@pytest.mark.parametrize("dimension", [b"", b'<dimension ref="A1:F2" />'])
def test_a_stray_cell_outside_an_absent_or_false_dimension_is_found(mw, tmp_path, dimension, refused):
    book = openpyxl.Workbook()
    for row in (HEADER, month(4)):
        book.active.append(row)
    book.active["XFD1048576"] = "x"
    book.save(tmp_path / "stray.xlsx")
    path = rewrite(tmp_path / "stray.xlsx", SHEET1,
                   lambda xml: xml.replace(b'<dimension ref="A1:XFD1048576" />', dimension))
    err = refused(mw, path)
    assert err.row == 2 and "column XFD, which has no header" in str(err)
    assert str(err).endswith("(sheet row 1048576)")


def test_a_row_beyond_the_last_row_of_excel_is_refused(mw, tmp_path, refused):
    path = workbook(tmp_path / "far.xlsx", ("Sheet", [HEADER, month(4)]))
    rewrite(path, SHEET1, lambda xml: xml.replace(b'<dimension ref="A1:F2" />', b"")
            .replace(b'r="2"', b'r="5000000"').replace(b'2" t=', b'5000000" t='))
    err = refused(mw, path)
    assert "has a row 5,000,000, beyond the limit of 1,048,576 rows" in str(err)


def test_a_declared_dimension_past_the_last_row_is_refused(mw, tmp_path, refused):
    path = workbook(tmp_path / "tall.xlsx", ("Sheet", [HEADER, month(4)]))
    rewrite(path, SHEET1, lambda xml: xml.replace(b'ref="A1:F2"', b'ref="A1:F9000000"'))
    assert "A1:F9000000 (9,000,000 rows); the limit is 1,048,576 rows" in str(refused(mw, path))


def test_a_workbook_unpacking_past_the_limit_is_refused(mw, tmp_path, monkeypatch, refused):
    path = workbook(tmp_path / "big.xlsx", ("Sheet", [HEADER, month(4)]))
    monkeypatch.setattr(xlsx, "MAX_UNPACKED", 1000)
    assert "bytes; the limit is 1,000 bytes" in str(refused(mw, path))


def test_a_shared_string_table_past_the_limit_is_refused(mw, tmp_path, monkeypatch, refused):
    path = workbook(tmp_path / "strings.xlsx", ("Sheet", [HEADER, month(4)]))
    with zipfile.ZipFile(path, "a") as archive:         # 2 MB of strings, deflated to a few KB
        archive.writestr("xl/sharedStrings.xml", b"<sst>" + b"<si><t>x</t></si>" * 125_000
                         + b"</sst>", zipfile.ZIP_DEFLATED)
    monkeypatch.setattr(xlsx, "MAX_STRINGS", 1 << 20)
    err = refused(mw, path)
    assert "shared-string table unpacks to 2,125,011 bytes; the limit is 1,048,576" in str(err)


def test_a_sparse_far_sheet_costs_bounded_memory_and_time(tmp_path):
    """In a process of its own: the stray-cell sheet without a dimension, and 5,000 rows
    each with a styled empty cell at XFD, staged under a 2 GB address-space limit."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(HEADER)
    for m in range(5000):
        ws.append(month(1 + m % 12, weight=m))
        ws.cell(row=m + 2, column=16384).number_format = "0.00"
    book.save(tmp_path / "wide.xlsx")
    rewrite(tmp_path / "wide.xlsx", SHEET1,
            lambda xml: xml.replace(b'<dimension ref="A1:XFD5001" />', b""))
    script = (
        "import resource, sys, duckdb\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
        "from pathlib import Path\n"
        "from magwatch.store.xlsx import _stage_xlsx\n"
        "con = duckdb.connect()\n"
        "print(_stage_xlsx(con, Path(sys.argv[1]), 'wide.xlsx', '_stage'))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "wide.xlsx")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows, peak_kb = map(int, done.stdout.split())
    assert rows == 5000 and peak_kb < 1 << 20


# --------------------------------------------------------------------------- broken internals

def plain(tmp_path: Path) -> Path:
    return workbook(tmp_path / "broken.xlsx", ("Sheet", [HEADER, month(4), month(5)]))


def cut_xml(xml: bytes) -> bytes:
    return xml[: xml.index(b"<row r=\"3\"") + 20]


def numeric_twelve(xml: bytes) -> bytes:
    return xml.replace(b'<c r="F2" t="n"><v>1</v>', b'<c r="F2" t="n"><v>twelve</v>')


def string_past_table(xml: bytes) -> bytes:
    return xml.replace(b'<c r="B2" t="inlineStr"><is><t>DEU</t></is></c>',
                       b'<c r="B2" t="s"><v>99</v></c>')


def not_a_date(xml: bytes) -> bytes:
    return xml.replace(b'<c r="E2" t="inlineStr"><is><t>2025-04</t></is></c>',
                       b'<c r="E2" t="d"><v>not-a-date</v></c>')


def bad_coordinate(xml: bytes) -> bytes:
    return xml.replace(b'<c r="F2"', b'<c r="F#2"')


@pytest.mark.parametrize("edit, said", [
    (cut_xml, "sheet 'Sheet' cannot be read (unclosed token"),
    (numeric_twelve, "sheet 'Sheet' cell F2 cannot be read (could not convert string to float"),
    (string_past_table, "sheet 'Sheet' cell B2 cannot be read (list index out of range)"),
    (not_a_date, "sheet 'Sheet' cell E2 cannot be read"),
    (bad_coordinate, "sheet 'Sheet' cell"),
])
def test_a_damaged_sheet_is_one_line_naming_the_cell(mw, tmp_path, edit, said, refused):
    path = rewrite(plain(tmp_path), SHEET1, edit)
    err = refused(mw, path)
    assert said in str(err) and "damaged or truncated" in str(err)


def rows_out_of_order(xml: bytes) -> bytes:
    row2 = xml[xml.index(b'<row r="2"'):xml.index(b'<row r="3"')]
    row3 = xml[xml.index(b'<row r="3"'):xml.index(b"</sheetData>")]
    return xml.replace(row2 + row3, row3 + row2)


def two_cells_in_one_place(xml: bytes) -> bytes:
    return xml.replace(b'<c r="F3" t="n"><v>1</v></c>',
                       b'<c r="F3" t="n"><v>1</v></c><c r="F3" t="n"><v>2</v></c>')


@pytest.mark.parametrize("edit, said", [
    (rows_out_of_order, "sheet 'Sheet' row 2 comes after row 3 in the file (rows out of order)"),
    (two_cells_in_one_place, "sheet 'Sheet' row 3 holds two cells in one column"),
])
def test_what_no_spreadsheet_writes_is_refused_not_read_in_part(mw, tmp_path, edit, said, refused):
    path = rewrite(plain(tmp_path), SHEET1, edit)
    assert said in str(refused(mw, path))


def test_a_workbook_with_no_worksheet_is_refused(mw, tmp_path, refused):
    path = rewrite(plain(tmp_path), "xl/workbook.xml",
                   lambda xml: xml.replace(b'<sheet name="Sheet" sheetId="1" state="visible" '
                                           b'r:id="rId1" />', b""))
    assert str(refused(mw, path)).endswith("workbook has no worksheet")


@pytest.mark.parametrize("damage", ["half", "crc", "text", "no-workbook-part"])
def test_a_damaged_archive_is_not_a_readable_workbook(mw, tmp_path, damage, refused):
    path = plain(tmp_path)
    data = path.read_bytes()
    if damage == "half":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "crc":
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(SHEET1)
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
        path.write_bytes(data[:start + 10] + bytes([data[start + 10] ^ 0xFF]) + data[start + 11:])
    elif damage == "text":
        path.write_text("reporter,partner\n")
    else:
        rewrite(path, SHEET1, lambda xml: xml)
        with zipfile.ZipFile(path) as archive:
            parts = {n: archive.read(n) for n in archive.namelist() if n != "xl/workbook.xml"}
        with zipfile.ZipFile(path, "w") as archive:
            for name, body in parts.items():
                archive.writestr(name, body)
    assert "not a readable Excel workbook" in str(refused(mw, path))


def test_an_excel_error_cell_is_refused_with_its_field(mw, tmp_path, refused):
    path = rewrite(plain(tmp_path), SHEET1, lambda xml: xml.replace(
        b'<c r="F3" t="n"><v>1</v>', b'<c r="F3" t="e"><v>#N/A</v>'))
    err = refused(mw, path)
    assert (err.row, err.field) == (2, "net_weight_t") and "Excel error #N/A" in str(err)


def test_a_date_serial_outside_the_calendar_is_refused(mw, tmp_path, refused):
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append(["CHN", "DEU", "X", "85051110", 99999999, 1])
    book.active["E2"].number_format = "yyyy-mm-dd"
    book.save(tmp_path / "serial.xlsx")
    err = refused(mw, tmp_path / "serial.xlsx")
    assert (err.row, err.field) == (1, "period") and "Excel error" in str(err)


# --------------------------------------------------------------------------- the command line

def test_import_sheet_on_the_command_line(bundled_db, tmp_path):
    import shutil

    db = tmp_path / "cli.duckdb"
    shutil.copy(bundled_db, db)
    path = workbook(tmp_path / "notes.xlsx", ("Data", [HEADER, month(4, "FRA", 3)]),
                    ("Notes", [["These figures are test figures."]]))
    env = {**os.environ, "MAGWATCH_DB": str(db)}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "magwatch", "import", str(path), *args],
                              capture_output=True, text=True, env=env, timeout=120)

    bad = run()
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    assert "--sheet NAME" in bad.stderr
    good = run("--sheet", "Data", "--source", "cli-sheet")
    assert good.returncode == 0, good.stderr
    assert "1 rows read, 1 added" in good.stdout
    book = openpyxl.Workbook()               # openpyxl warns of this serial; the user sees one line
    book.active.append(HEADER)
    book.active.append(["CHN", "DEU", "X", "85051110", 99999999, 1])
    book.active["E2"].number_format = "yyyy-mm-dd"
    book.save(path)
    serial = run()
    assert serial.returncode == 2 and serial.stderr.count("\n") == 1, serial.stderr
    assert "Excel error #VALUE!" in serial.stderr and "(sheet row 2)" in serial.stderr
