"""Read a user's file (CSV, Parquet, Excel) into a DuckDB staging relation.

Each reader streams: a CSV is parsed in blocks by pyarrow, a Parquet file is
scanned by DuckDB, so a file larger than memory never sits in it whole. Text
that is not UTF-8 is decoded as GB18030 (the superset of GBK that China
customs exports use) into a temporary UTF-8 copy. Spreadsheet cells are read
as values: a cell that starts with ``=``, ``+``, ``-`` or ``@`` is text, never
a formula.

Every staged relation has a ``_row`` column: the 1-based data row of the file.
"""

from __future__ import annotations

import codecs
import csv
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from magwatch.errors import InputError
from magwatch.store.xlsx import _sheet_row, _stage_xlsx

CHUNK = 16 << 20
FORMATS = ("csv", "parquet", "xlsx")


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    raise InputError(f"unsupported file type {suffix or '(none)'!r}; use .csv, .parquet or .xlsx",
                     file=str(path))


def _check_text_encoding(path: Path) -> str:
    """Return 'utf-8' or 'gb18030'; raise InputError naming the row if neither decodes."""
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        line = 1
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError as exc:
                        line += chunk[: exc.start].count(b"\n")
                        raise
                    line += chunk.count(b"\n")
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            bad_line = line
            continue
    raise InputError("text is neither UTF-8 nor GB18030/GBK", file=str(path),
                     row=max(bad_line - 1, 1))


@contextmanager
def utf8_copy(path: Path) -> Iterator[Path]:
    """Yield a UTF-8 version of a text file (the file itself when it already is)."""
    encoding = _check_text_encoding(path)
    if encoding == "utf-8":
        yield path
        return
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="magwatch-utf8-")
    try:
        with path.open("rb") as src, os.fdopen(fd, "wb") as dst:
            decoder = codecs.getincrementaldecoder(encoding)()
            while chunk := src.read(CHUNK):
                dst.write(decoder.decode(chunk).encode("utf-8"))
            dst.write(decoder.decode(b"", final=True).encode("utf-8"))
        yield Path(tmp)
    finally:
        os.unlink(tmp)


DELIMITERS = (",", ";", "\t")
_CODE_COLUMNS = ("reporter", "partner", "flow", "commodity", "classification")
_NUMERIC_COLUMNS = ("net_weight_kg", "net_weight_t", "value", "value_usd", "quantity",
                    "period_months")


def sniff_delimiter(path: Path) -> str:
    """The delimiter of a CSV: whichever of ``,`` ``;`` tab splits the header line most
    (outside quotes); a comma when none does."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        line = fh.readline(1 << 20)
    counts = {}
    for d in DELIMITERS:
        try:
            counts[d] = len(next(csv.reader([line], delimiter=d), []))
        except csv.Error:
            counts[d] = 0
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 1 else ","


def canonical_name(name: str) -> str:
    """A header cell as the column it names: surrounding spaces dropped, and a known
    column matched without regard to case (``Period``, `` Partner `` -> period, partner)."""
    from magwatch.records import IMPORT_OPTIONAL, IMPORT_REQUIRED

    name = name.strip()
    lowered = name.lower()
    return lowered if lowered in IMPORT_REQUIRED or lowered in IMPORT_OPTIONAL else name


def _header(path: Path, display: str, delimiter: str = ",") -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        try:
            header = next(csv.reader(fh, delimiter=delimiter))
        except StopIteration:
            raise InputError("file is empty", file=display) from None
    return [canonical_name(h) for h in _check_header([h.strip() for h in header], display)]


def _looks_like_gacc(header: list[str], display: str) -> None:
    """Refuse, with a pointer to ``--source gacc``, a header in Chinese and none of the
    canonical columns: a China customs (GACC) export read as a canonical file."""
    from magwatch.records import IMPORT_REQUIRED

    chinese = any("\u4e00" <= ch <= "\u9fff" for name in header for ch in name)
    if chinese and not {canonical_name(h) for h in header} & set(IMPORT_REQUIRED):
        raise InputError("looks like a China customs (GACC) export (Chinese headers); "
                         "import it with --source gacc", file=display,
                         field=header[0].strip())


def _check_header(header: list[str], display: str) -> list[str]:
    """Refuse empty and repeated column names (compared as DuckDB does, ignoring case)."""
    _looks_like_gacc(header, display)
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if not name:
            raise InputError(f"header column {i + 1} has no name", file=display, row=0)
        if name.lower() in ("_row", "file_row_number"):
            raise InputError("unknown column (a name magwatch reserves)", file=display, field=name)
        if name.lower() in seen:
            raise InputError("column appears twice in the header", file=display, field=name)
        seen[name.lower()] = i
    return header


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _locate_csv_error(path: Path, display: str, width: int, reason: str,
                      delimiter: str = ",") -> InputError:
    """Find the exact row of a CSV that pyarrow refused (only on the error path)."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, strict=True, delimiter=delimiter)
        row = 0
        try:
            next(reader, None)
            for row, fields in enumerate(reader, start=1):
                if fields and len(fields) != width:
                    return InputError(
                        f"expected {width} fields, found {len(fields)} (truncated or malformed row)",
                        file=display, row=row)
        except csv.Error as exc:
            return InputError(f"malformed CSV ({exc}); the file may be truncated",
                              file=display, row=row + 1)
    return InputError(f"malformed CSV: {reason}", file=display)


def _stage_csv(con: duckdb.DuckDBPyConnection, path: Path, display: str, table: str) -> int:
    with utf8_copy(path) as text:
        delimiter = sniff_delimiter(text)
        header = _header(text, display, delimiter)
        # a ';' file is German-locale Excel: decimal commas in the figures (764,5)
        decimal_comma = {i for i, h in enumerate(header)
                         if delimiter == ";" and h in _NUMERIC_COLUMNS}
        types = {name: pa.string() for name in header}
        options = dict(
            # the header is named here, so ' commodity' is read as text like every column
            read_options=pacsv.ReadOptions(block_size=CHUNK, encoding="utf8",
                                           column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True,
                                                 null_values=[""], quoted_strings_can_be_null=True),
        )
        columns = ", ".join(f"{_quoted(h)} VARCHAR" for h in header)
        con.execute(f'CREATE OR REPLACE TEMP TABLE {table} (_row BIGINT, {columns})')
        rows = 0
        try:
            reader = pacsv.open_csv(text, **options)
            for batch in reader:
                batch_rows = pa.array(range(rows + 1, rows + batch.num_rows + 1), pa.int64())
                columns = [_decimal_point(c) if i in decimal_comma else c
                           for i, c in enumerate(batch.columns)]
                staged = pa.RecordBatch.from_arrays([batch_rows, *columns],
                                                    names=["_row", *header])
                con.register("_batch", staged)
                con.execute(f"INSERT INTO {table} SELECT * FROM _batch")
                con.unregister("_batch")
                rows += batch.num_rows
        except pa.ArrowInvalid as exc:
            raise _locate_csv_error(text, display, len(header), str(exc), delimiter) from None
    return rows


def _decimal_point(column: pa.Array) -> pa.Array:
    """``764,5`` -> ``764.5``; anything else (``1.234,5``, ``7x4``) is left to be refused."""
    import pyarrow.compute as pc

    return pc.replace_substring_regex(column, r"^(\s*[-+]?\d+),(\d+\s*)$", r"\1.\2")


def _stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, display: str, table: str) -> int:
    try:
        meta = pq.ParquetFile(path)
        rows = meta.metadata.num_rows
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"not a readable Parquet file, it may be truncated ({exc})",
                         file=display) from None
    names = list(meta.schema_arrow.names)
    _check_header([n.strip() for n in names], display)
    literal = "'" + str(path).replace("'", "''") + "'"
    columns = ", ".join(f"{_quoted(n)} AS {_quoted(canonical_name(n))}" for n in names)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT file_row_number + 1 AS _row, "
        f"{columns} FROM read_parquet({literal}, file_row_number = true)")
    return rows


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, table: str = "_stage",
               sheet: str | None = None) -> int:
    """Stage a file as relation ``table`` with a ``_row`` column; return its row count.
    ``sheet`` names the one worksheet of a workbook to read."""
    display = str(path)
    if not path.exists():
        raise InputError("no such file", file=display)
    if path.stat().st_size == 0:
        raise InputError("file is empty", file=display)
    fmt = detect_format(path)
    drop_stage(con, table)
    if fmt == "xlsx":
        rows = _stage_xlsx(con, path, display, table, sheet)
    else:
        rows = {"csv": _stage_csv, "parquet": _stage_parquet}[fmt](con, path, display, table)
    if rows == 0:
        raise InputError("file has a header but no data rows", file=display)
    return rows


def drop_stage(con: duckdb.DuckDBPyConnection, table: str = "_stage") -> None:
    """Remove a staged relation, whichever kind it is."""
    kinds = con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ?",
                        [table]).fetchall()
    for (kind,) in kinds:
        con.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} IF EXISTS {table}")


def user_line(path: Path, row: int, sheet: str | None = None) -> str | None:
    """Where data row ``row`` (the n-th non-blank record below the header) is as the user
    sees the file: ``line L`` of a CSV (blank lines and quoted newlines counted, as an
    editor shows them) or ``sheet row R`` of a workbook. Only used on the error path."""
    try:
        if detect_format(path) == "csv":
            return _csv_line(path, row)
        if detect_format(path) == "xlsx":
            return _sheet_row(path, row, sheet)
    except (InputError, OSError, ValueError, csv.Error):
        return None
    return None


def _csv_line(path: Path, row: int) -> str | None:
    with utf8_copy(path) as text, text.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter=sniff_delimiter(text))
        n = 0
        next(reader, None)
        start = reader.line_num + 1
        for fields in reader:
            if fields:          # a blank line is no record, as the CSV reader skips it
                n += 1
                if n == row:
                    return f"line {start}"
            start = reader.line_num + 1
    return None
