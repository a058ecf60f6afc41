"""Read an Excel workbook (.xlsx) into a DuckDB staging relation, whole or refused.

The header is the first row, within the first ``HEADER_ROWS`` rows of a sheet, that
names two or more of the canonical columns; a title of one or two cells (a merged
title cell included) may stand above it. Every worksheet that holds a value is read:
sheets whose header names the same columns as the first are one release, and any
other sheet with data is refused with a pointer to ``--sheet NAME``. A value in a
column with no header is refused, like an extra field in a CSV.

The work is bounded before it starts: the archive's unpacked size, the number of
sheets and each sheet's declared dimension are checked against the limits below, and
cells are read sparsely (a stray cell at XFD1048576 costs one cell, not the area up
to it). Cells are read as values: a cell that starts with ``=``, ``+``, ``-`` or
``@`` is text, never a formula. Whatever the zip, XML or openpyxl layers raise
becomes an InputError naming the file and, where known, the sheet and cell.

The staged relation has a ``_row`` column: the 1-based data row (the n-th row below
a header that holds a value, counted across the sheets read).
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
import zipfile
import zlib
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import duckdb
import pyarrow as pa

from magwatch.errors import InputError

MAX_SHEETS = 50                 # sheets in a workbook
MAX_ROWS = 1_048_576            # a sheet's last row (Excel's own limit)
MAX_COLUMNS = 64                # a sheet's columns (the canonical columns are 20)
MAX_UNPACKED = 1 << 30          # bytes of the archive's members, unpacked
MAX_STRINGS = 64 << 20          # bytes of the shared-string table, unpacked (read whole)
HEADER_ROWS = 20                # rows searched for the header
MAX_CELL_CHARS = 32_767         # characters in a cell (Excel's own limit)
TITLE_CELLS = 2                 # values a row above the header may hold
BATCH = 50_000                  # rows staged per insert

#: what a damaged archive or sheet makes zipfile, the XML parser or openpyxl raise
#: (an XML ParseError is a SyntaxError)
_BROKEN = (zipfile.BadZipFile, zlib.error, EOFError, OSError, LookupError, ValueError,
           TypeError, AttributeError, SyntaxError, OverflowError, ArithmeticError)
# openpyxl's notes while reading (no default style, an unsupported extension, a date
# serial out of range: that cell is read as an error value and refused) are no news for
# the user. A filter, not warnings.catch_warnings, which is not safe across threads.
warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")

_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")
_STRINGS_PART = re.compile(r"xl/sharedStrings[^/]*\.xml", re.IGNORECASE)


class _ExcelError(str):
    """The value of an error cell (``#N/A``, ``#VALUE!``)."""


@dataclass
class _Sheet:
    """One worksheet as surveyed: where its header is and what it names."""

    ws: object
    title: str
    multi: bool                       # the workbook has more than one worksheet
    header_row: int | None = None     # the sheet row of the header
    header: list[str] = field(default_factory=list)
    first: dict[int, object] | None = None    # the first row holding a value

    @property
    def has_data(self) -> bool:
        return self.first is not None

    def where(self, row: int) -> str:
        return f"sheet {self.title!r} row {row}" if self.multi else f"sheet row {row}"


def _unreadable(display: str, exc: BaseException) -> InputError:
    return InputError(f"not a readable Excel workbook, it may be truncated ({exc})",
                      file=display)


def _check_archive(path: Path, display: str) -> None:
    """Refuse a workbook over the size or sheet limits before openpyxl reads any of it."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except _BROKEN as exc:
        raise _unreadable(display, exc) from None
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED:
        raise InputError(f"workbook unpacks to {unpacked:,} bytes; the limit is "
                         f"{MAX_UNPACKED:,} bytes", file=display)
    strings = sum(m.file_size for m in members if _STRINGS_PART.fullmatch(m.filename))
    if strings > MAX_STRINGS:
        raise InputError(f"the workbook's shared-string table unpacks to {strings:,} bytes; "
                         f"the limit is {MAX_STRINGS:,} bytes", file=display)
    sheets = sum(1 for m in members if _SHEET_PART.fullmatch(m.filename))
    if sheets > MAX_SHEETS:
        raise InputError(f"workbook has {sheets} sheets; the limit is {MAX_SHEETS}",
                         file=display)


def _open_book(path: Path, display: str):
    import openpyxl

    _check_archive(path, display)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
        sheets = book.worksheets
    except _BROKEN as exc:
        raise _unreadable(display, exc) from None
    if not sheets:
        book.close()
        raise InputError("workbook has no worksheet", file=display)
    if len(sheets) > MAX_SHEETS:
        book.close()
        raise InputError(f"workbook has {len(sheets)} sheets; the limit is {MAX_SHEETS}",
                         file=display)
    return book


def _check_dimension(ws, display: str) -> None:
    """Refuse a sheet whose declared dimension (``<dimension ref="A1:F40"/>``) is over
    the limits; a sheet that declares none is bounded while it is read."""
    rows, columns = ws.max_row, ws.max_column
    declared = (f"sheet {ws.title!r} declares the range {_letter(ws.min_column or 1)}"
                f"{ws.min_row or 1}:{_letter(columns or 1)}{rows or 1}")
    if columns is not None and columns > MAX_COLUMNS:
        raise InputError(f"{declared} ({columns:,} columns); the limit is {MAX_COLUMNS} columns "
                         "(delete the stray cells far to the right)", file=display)
    if rows is not None and rows > MAX_ROWS:
        raise InputError(f"{declared} ({rows:,} rows); the limit is {MAX_ROWS:,} rows",
                         file=display)


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    try:
        return get_column_letter(column)
    except ValueError:
        return f"#{column}"


def _rows(ws, display: str, merged: list | None = None) -> Iterator[tuple[int, dict[int, object]]]:
    """(sheet row, {column: value}) for each row of ``ws`` holding a value; once every
    row is read, the sheet's merged ranges are added to ``merged``.

    Read with openpyxl's own streaming sheet parser (the one its read-only mode
    uses), so the cost is the cells the file holds, never the area it declares."""
    from openpyxl.worksheet._reader import WorkSheetParser

    book = ws.parent
    parser = None
    try:
        with ws._get_source() as source:
            parser = WorkSheetParser(source, ws._shared_strings, data_only=False,
                                     epoch=book.epoch, date_formats=book._date_formats,
                                     timedelta_formats=book._timedelta_formats)
            last = 0
            for row, cells in parser.parse():
                values = _row_values(ws.title, row, last, cells, display)
                last = row
                if values:
                    yield row, values
            if merged is not None and parser.merged_cells is not None:
                merged.extend(parser.merged_cells.mergeCell)
    except _BROKEN as exc:
        # a value that does not convert names its cell; broken XML only its place in the XML
        at = (f" cell {_letter(parser.col_counter)}{parser.row_counter}"
              if parser is not None and parser.row_counter and not isinstance(exc, SyntaxError)
              else "")
        raise InputError(f"sheet {ws.title!r}{at} cannot be read ({exc}); the workbook may "
                         "be damaged or truncated", file=display) from None


def _row_values(title: str, row: int, last: int, cells: list[dict],
                display: str) -> dict[int, object]:
    """A parsed row as {column: value}; refuses a row past the limit and what no
    spreadsheet writes (rows out of order, two cells in one place), which would
    otherwise drop a value unseen."""
    if row > MAX_ROWS:
        raise InputError(f"sheet {title!r} has a row {row:,}, beyond the limit of "
                         f"{MAX_ROWS:,} rows", file=display)
    if row <= last:
        raise InputError(f"sheet {title!r} row {row} comes after row {last} in the file (rows "
                         "out of order); the workbook may be damaged", file=display)
    values = {c["column"]: _ExcelError(c["value"]) if c["data_type"] == "e" else c["value"]
              for c in cells if c["value"] is not None}
    if len(values) < sum(c["value"] is not None for c in cells):
        raise InputError(f"sheet {title!r} row {row} holds two cells in one column; the "
                         "workbook may be damaged", file=display)
    return values


def _names_columns(values: dict[int, object]) -> bool:
    """Whether a row names two or more canonical columns (a header, not a title)."""
    from magwatch.records import IMPORT_OPTIONAL, IMPORT_REQUIRED
    from magwatch.store.files import canonical_name

    known = set(IMPORT_REQUIRED) | set(IMPORT_OPTIONAL)
    return sum(isinstance(v, str) and canonical_name(v) in known for v in values.values()) >= 2


def _survey(ws, multi: bool, display: str) -> _Sheet:
    """Find the header of a sheet within its first HEADER_ROWS rows, and whether the
    sheet holds any value; rows above the header may hold a title only."""
    _check_dimension(ws, display)
    sheet = _Sheet(ws, ws.title, multi)
    above: list[tuple[int, dict[int, object]]] = []
    with closing(_rows(ws, display)) as rows:
        for row, values in rows:
            sheet.first = sheet.first or values
            if row > HEADER_ROWS:
                break
            if _names_columns(values):
                _check_titles(sheet, above, row, display)
                sheet.header_row, sheet.header = row, _header(sheet, values, row, display)
                break
            above.append((row, values))
    return sheet


def _check_titles(sheet: _Sheet, above: list[tuple[int, dict[int, object]]], header_row: int,
                  display: str) -> None:
    for row, values in above:
        if len(values) > TITLE_CELLS:
            raise InputError(f"{sheet.where(row)} holds {len(values)} values above the header "
                             f"({sheet.where(header_row)}); only a title of one or two cells "
                             "may stand above it", file=display)


def _header(sheet: _Sheet, values: dict[int, object], row: int, display: str) -> list[str]:
    from magwatch.store.files import _check_header, canonical_name

    width = max(values)
    if width > MAX_COLUMNS:
        raise InputError(f"the header ({sheet.where(row)}) has {width} columns; the limit is "
                         f"{MAX_COLUMNS}", file=display)
    names = [_cell_text(values.get(c)) or "" for c in range(1, width + 1)]
    names = [n.strip() for n in names]
    for c, name in enumerate(names, start=1):
        if not name:
            raise InputError(f"header column {_letter(c)} ({sheet.where(row)}) has no name",
                             file=display)
    return [canonical_name(n) for n in _check_header(names, display)]


def _no_header(sheet: _Sheet, display: str) -> InputError:
    from magwatch.records import IMPORT_REQUIRED
    from magwatch.store.files import _looks_like_gacc

    _looks_like_gacc([str(v) for v in sheet.first.values()], display)
    return InputError(f"sheet {sheet.title!r} has no header in its first {HEADER_ROWS} rows "
                      f"(a row naming the columns {', '.join(IMPORT_REQUIRED)}, ...)",
                      file=display)


def _choose(sheets: list[_Sheet], sheet: str | None, display: str) -> list[_Sheet]:
    """The sheets to read: the one named by ``sheet``, else every sheet holding data,
    all with the header of the first (any other sheet with data is refused)."""
    if sheet is not None:
        if not sheets[0].has_data:
            raise InputError(f"sheet {sheet!r} is empty", file=display)
        if sheets[0].header_row is None:
            raise _no_header(sheets[0], display)
        return sheets
    full = [s for s in sheets if s.has_data]
    if not full:
        raise InputError("file is empty", file=display)
    others = ", ".join(repr(s.title) for s in full)
    hint = f"import one sheet with --sheet NAME (sheets with data: {others})"
    if full[0].header_row is None:
        if len(full) == 1:
            raise _no_header(full[0], display)
        raise InputError(f"{_no_header(full[0], display).reason}; {hint}", file=display)
    for other in full[1:]:
        if sorted(other.header) != sorted(full[0].header):
            raise InputError(f"sheet {other.title!r} holds data but not the columns of sheet "
                             f"{full[0].title!r}; {hint}", file=display)
    return full


def _layout(path: Path, display: str, sheet: str | None):
    """Open a workbook and survey it: (book, the sheets to read). The caller closes book."""
    book = _open_book(path, display)
    try:
        worksheets = book.worksheets
        titles = [ws.title for ws in worksheets]
        if sheet is not None and sheet not in titles:
            raise InputError(f"no sheet named {sheet!r}; the sheets are "
                             f"{', '.join(map(repr, titles))}", file=display)
        sheets = [_survey(ws, len(worksheets) > 1, display) for ws in worksheets
                  if sheet is None or ws.title == sheet]
        return book, _choose(sheets, sheet, display)
    except BaseException:
        book.close()
        raise


def _data_rows(sheet: _Sheet, display: str) -> Iterator[tuple[int, dict[int, object]]]:
    """The rows below a sheet's header that hold a value; a merged range reaching below
    the header is refused (its value stands in its first row only, the others would be
    read empty)."""
    merged: list = []
    with closing(_rows(sheet.ws, display, merged)) as rows:
        for row, values in rows:
            if row > sheet.header_row:
                yield row, values
    for cells in merged:
        if cells.max_row > sheet.header_row:
            raise InputError(f"cells {cells.coord} are merged ({sheet.where(cells.min_row)}); "
                             "unmerge them so that each row holds its own values", file=display)


def _stage_xlsx(con: duckdb.DuckDBPyConnection, path: Path, display: str, table: str,
                sheet: str | None = None) -> int:
    from magwatch.store.files import _quoted

    book, chosen = _layout(path, display, sheet)
    try:
        header = chosen[0].header
        columns = ", ".join(f"{_quoted(h)} VARCHAR" for h in header)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (_row BIGINT, {columns})")
        return _stage_sheets(con, table, chosen, header, display)
    finally:
        book.close()


def _stage_sheets(con: duckdb.DuckDBPyConnection, table: str, chosen: list[_Sheet],
                  header: list[str], display: str) -> int:
    """Insert the data rows of the chosen sheets into ``table`` in batches; their count."""
    batch: list[list[object]] = [[] for _ in range(len(header) + 1)]
    n = 0
    for one in chosen:
        # a sheet's column c (1-based) goes to position place[c] of the staged row
        place = {c: header.index(name) + 1 for c, name in enumerate(one.header, 1)}
        for _, values in _data_rows(one, display):
            n += 1
            batch[0].append(n)
            cells = _staged_cells(values, place, header, n, display)
            for i in range(1, len(header) + 1):
                batch[i].append(cells.get(i))
            if n % BATCH == 0:
                _flush(con, table, batch, header)
    _flush(con, table, batch, header)
    return n


def _staged_cells(values: dict[int, object], place: dict[int, int], header: list[str],
                  n: int, display: str) -> dict[int, str | None]:
    """A data row's cells by staged position; refuses a value in a column with no
    header, a number in a code column and an Excel error value."""
    from magwatch.store.files import _CODE_COLUMNS

    cells: dict[int, str | None] = {}
    for column, value in values.items():
        if column not in place:
            raise InputError(f"a value in column {_letter(column)}, which has no header "
                             f"(got {_short(value)}); name the column or delete the value",
                             file=display, row=n)
        name = header[place[column] - 1]
        if isinstance(value, _ExcelError):
            raise InputError(f"cell holds the Excel error {value} (a formula error, or a date "
                             "outside the calendar)", file=display, row=n, field=name)
        if name in _CODE_COLUMNS and isinstance(value, (int, float)) \
                and not isinstance(value, bool):
            raise InputError("code cell is a number, not text (leading zeros are lost: "
                             "0850511100 becomes 850511100); format the column as text",
                             file=display, row=n, field=name)
        text = _cell_text(value)
        if len(text) > MAX_CELL_CHARS:
            raise InputError(f"cell holds {len(text):,} characters; the limit is "
                             f"{MAX_CELL_CHARS:,} (Excel's own)", file=display, row=n, field=name)
        cells[place[column]] = text
    return cells


def _short(value: object) -> str:
    text = _cell_text(value) or ""
    return repr(text if len(text) <= 40 else text[:40] + "...")


def _flush(con: duckdb.DuckDBPyConnection, table: str, batch: list[list[object]],
           header: list[str]) -> None:
    if not batch[0]:
        return
    arrays = [pa.array(batch[0], pa.int64())] + [pa.array(col, pa.string()) for col in batch[1:]]
    staged = pa.Table.from_arrays(arrays, names=["_row", *header])
    con.register("_sheet", staged)
    con.execute(f"INSERT INTO {table} SELECT * FROM _sheet")
    con.unregister("_sheet")
    for col in batch:
        col.clear()


def _cell_text(cell: object) -> str | None:
    if cell is None:
        return None
    if hasattr(cell, "isoformat"):
        if isinstance(cell, dt.datetime) and cell.time() != dt.time(0):
            return cell.isoformat(sep=" ")
        return cell.isoformat()[:10]
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    text = getattr(cell, "text", None)      # an array formula keeps its text
    return str(text if isinstance(text, str) else cell)


def sheet_key(sha256: str, sheet: str) -> str:
    """The release key of one sheet of a workbook read alone (``--sheet``): a hash of
    the file's SHA-256 and the sheet's name, so each sheet is a release of its own."""
    import hashlib

    return hashlib.sha256(f"{sha256}\0sheet\0{sheet}".encode()).hexdigest()


def _sheet_row(path: Path, row: int, sheet: str | None = None) -> str | None:
    """Where data row ``row`` is as the user sees the workbook: ``sheet row R`` (or
    ``sheet 'NAME' row R`` in a workbook of several sheets). Only used on the error
    path; None when the workbook cannot say."""
    try:
        book, chosen = _layout(path, str(path), sheet)
        try:
            n = 0
            for one in chosen:
                for r, _ in _data_rows(one, str(path)):
                    n += 1
                    if n == row:
                        return one.where(r)
        finally:
            book.close()
    except (InputError, *_BROKEN):
        return None
    return None
