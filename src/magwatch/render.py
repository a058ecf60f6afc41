"""Render result tables and documents: table, CSV, JSON, Parquet, Excel.

Exports neutralise spreadsheet formulas: a text cell that starts with ``=``,
``+``, ``-``, ``@`` (or a tab / carriage return) is written with a leading
apostrophe, so a spreadsheet shows it as text and never evaluates it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from pathlib import Path
from typing import Any, Iterable

import pyarrow as pa

from magwatch.errors import ParameterError

TABLE_FORMATS = ("table", "csv", "json", "parquet", "xlsx")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Make a text cell safe for spreadsheets; numbers pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def to_json(data: Any) -> str:
    if isinstance(data, pa.Table):
        data = data.to_pylist()
    return json.dumps(jsonable(data), ensure_ascii=False, indent=2)


def to_csv(rows: Iterable[dict[str, Any]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else neutralise(jsonable(row.get(c))) for c in columns])
    return buffer.getvalue()


def write_xlsx(table: pa.Table, path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("magwatch")
    sheet.append(table.column_names)
    for row in table.to_pylist():
        sheet.append([neutralise(jsonable(row[c])) if not isinstance(row[c], (int, float)) else row[c]
                      for c in table.column_names])
    book.save(path)


def rich_table(table: pa.Table, title: str | None = None, columns: list[str] | None = None):
    from rich.table import Table

    columns = columns or table.column_names
    out = Table(title=title, show_lines=False)
    for name in columns:
        numeric = pa.types.is_integer(table.schema.field(name).type) or \
            pa.types.is_floating(table.schema.field(name).type)
        long_text = name in ("source_url", "source_ref", "note")
        out.add_column(name, justify="right" if numeric else "left",
                       overflow="ellipsis" if long_text else "fold", no_wrap=long_text,
                       max_width=48 if long_text else None)
    for row in table.select(columns).to_pylist():
        out.add_row(*[_cell(row[c]) for c in columns])
    return out


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 1e15 else f"{value:.3g}"
    return str(value)


def emit_table(table: pa.Table, fmt: str, out: Path | None, *, console=None,
               title: str | None = None, table_columns: list[str] | None = None) -> None:
    """Write a result in one of TABLE_FORMATS to ``out`` or the terminal."""
    if fmt not in TABLE_FORMATS:
        raise ParameterError("format", f"expected one of {', '.join(TABLE_FORMATS)}, got {fmt!r}")
    if fmt in ("parquet", "xlsx") and out is None:
        raise ParameterError("out", f"--format {fmt} writes a file: give --out PATH")
    if fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, out)
        return
    if fmt == "xlsx":
        write_xlsx(table, out)
        return
    if fmt == "table" and out is None:
        from rich.console import Console

        console = console or Console()
        if not console.is_terminal:
            console = Console(width=160)
        console.print(rich_table(table, title, table_columns))
        return
    text = to_json(table) if fmt == "json" else to_csv(table.to_pylist(), table.column_names) \
        if fmt == "csv" else _plain(table)
    if out is None:
        print(text, end="" if text.endswith("\n") else "\n")
    else:
        Path(out).write_text(text, encoding="utf-8")


def _plain(table: pa.Table) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=200)
    console.print(rich_table(table))
    return console.file.getvalue()
