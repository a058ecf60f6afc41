"""Read an Excel workbook (.xlsx) into a DuckDB staging relation.

Cells are read as values: a cell that starts with ``=``, ``+``, ``-`` or ``@`` is
text, never a formula. The staged relation has a ``_row`` column: the 1-based data
row (non-blank rows below the header).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa

from magwatch.errors import InputError


def _stage_xlsx(con: duckdb.DuckDBPyConnection, path: Path, display: str, table: str) -> int:
    import openpyxl
    from zipfile import BadZipFile

    from magwatch.store.files import _CODE_COLUMNS, _check_header, canonical_name

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"not a readable Excel workbook, it may be truncated ({exc})",
                         file=display) from None
    try:
        rows_iter = book.worksheets[0].iter_rows(values_only=True)
        first = next(rows_iter, None)
        if first is None or all(c is None for c in first):
            raise InputError("file is empty", file=display)
        header = [str(c).strip() if c is not None else "" for c in first]
        while header and not header[-1]:
            header.pop()
        header = [canonical_name(h) for h in _check_header(header, display)]
        data: list[list[str | None]] = [[] for _ in header]
        numbers: list[int] = []
        for cells in rows_iter:
            if cells is None or all(c is None for c in cells):
                continue        # a blank row is not a data row (as in a CSV)
            n = len(numbers) + 1
            numbers.append(n)
            for i in range(len(header)):
                cell = cells[i] if i < len(cells) else None
                if header[i] in _CODE_COLUMNS and isinstance(cell, (int, float)):
                    raise InputError("code cell is a number, not text (leading zeros are lost: "
                                     "0850511100 becomes 850511100); format the column as text",
                                     file=display, row=n, field=header[i])
                data[i].append(_cell_text(cell))
    finally:
        book.close()
    arrays = [pa.array(numbers, pa.int64())] + [pa.array(col, pa.string()) for col in data]
    staged = pa.Table.from_arrays(arrays, names=["_row", *header])
    con.register("_sheet", staged)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM _sheet")
    con.unregister("_sheet")
    return staged.num_rows


def _cell_text(cell: object) -> str | None:
    if cell is None:
        return None
    if hasattr(cell, "isoformat"):
        if isinstance(cell, dt.datetime) and cell.time() != dt.time(0):
            return cell.isoformat(sep=" ")
        return cell.isoformat()[:10]
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def _sheet_row(path: Path, row: int) -> str | None:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        n = 0
        for r, cells in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            if r > 1 and cells and any(c is not None for c in cells):
                n += 1
                if n == row:
                    return f"sheet row {r}"
    finally:
        book.close()
    return None
