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
import re
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from magwatch.errors import InputError
from magwatch.store import limits
from magwatch.store.parquet import stage_parquet
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


class _Undecodable(Exception):
    """The text does not decode; ``line`` is where it first fails."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _check_text_encoding(path: Path, display: str | None = None) -> str:
    """Return 'utf-8' or 'gb18030'; raise InputError naming the row if neither decodes,
    or naming the line that is over ``limits.MAX_LINE_BYTES``."""
    display = display or str(path)
    bad_line = 1
    for encoding in ("utf-8", "gb18030"):
        try:
            _scan_text(path, encoding, display)
            return encoding
        except _Undecodable as exc:
            bad_line = exc.line
    raise InputError("text is neither UTF-8 nor GB18030/GBK", file=display,
                     row=max(bad_line - 1, 1))


def _scan_text(path: Path, encoding: str, display: str) -> None:
    """Decode the whole file in blocks of ``MAX_LINE_BYTES``; a block with no line break
    lies inside a line over the limit, refused before any parser holds it whole."""
    block = limits.MAX_LINE_BYTES
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as fh:
        while chunk := fh.read(block):
            if len(chunk) == block and b"\n" not in chunk and b"\r" not in chunk:
                raise InputError(limits.over(f"line {line} runs on with no line break",
                                             limits.MAX_LINE_BYTES, "MAX_LINE_BYTES"), file=display)
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise _Undecodable(line + chunk[: exc.start].count(b"\n")) from None
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise _Undecodable(line) from None


@contextmanager
def utf8_copy(path: Path, display: str | None = None) -> Iterator[Path]:
    """Yield a UTF-8 version of a text file (the file itself when it already is)."""
    encoding = _check_text_encoding(path, display)
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
        line = fh.readline(limits.MAX_HEADER_BYTES + 1)
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
    """The header line's column names, read from at most ``MAX_HEADER_BYTES``."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        line = fh.readline(limits.MAX_HEADER_BYTES + 1)
    if not line:
        raise InputError("file is empty", file=display)
    if line.count('"') % 2:
        raise InputError("the header line has a quote left open", file=display, row=0)
    header = next(csv.reader([line], delimiter=delimiter))
    _check_width(len(header), display)
    return [canonical_name(h) for h in _check_header([h.strip() for h in header], display)]


def _check_width(columns: int, display: str) -> None:
    if columns > limits.MAX_COLUMNS:
        raise InputError(limits.over("header columns", limits.MAX_COLUMNS, "MAX_COLUMNS",
                                     in_bytes=False), file=display)


def check_header_size(path: Path, display: str) -> None:
    """Refuse, from the file's first bytes only, a header line over ``MAX_HEADER_BYTES``
    or with more than ``MAX_COLUMNS`` columns (counted by the commonest delimiter)."""
    with path.open("rb") as fh:
        line = fh.readline(limits.MAX_HEADER_BYTES + 1)
    widest = max(line.count(d.encode()) for d in DELIMITERS) + 1
    if widest > limits.MAX_COLUMNS and not line.count(b'"'):
        _check_width(widest, display)
    if len(line) > limits.MAX_HEADER_BYTES:
        raise InputError(limits.over("header line", limits.MAX_HEADER_BYTES,
                                     "MAX_HEADER_BYTES"), file=display)


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


def _csv_options(header: list[str], delimiter: str) -> dict:
    types = {name: pa.string() for name in header}
    return dict(
        # the header is named here, so ' commodity' is read as text like every column
        read_options=pacsv.ReadOptions(block_size=CHUNK, encoding="utf8",
                                       column_names=header, skip_rows=1),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True,
                                             null_values=[""], quoted_strings_can_be_null=True),
    )


def _check_batch(batch: pa.RecordBatch, header: list[str], rows: int, display: str) -> None:
    """Refuse a batch that takes the file past ``MAX_ROWS`` or holds a field over
    ``MAX_FIELD_BYTES`` (naming its row and column)."""
    import pyarrow.compute as pc

    if rows + batch.num_rows > limits.MAX_ROWS:
        # no row named: finding its line would read the whole file again
        raise InputError(limits.over(f"more than {limits.MAX_ROWS:,} rows", limits.MAX_ROWS,
                                     "MAX_ROWS", in_bytes=False), file=display)
    for name, column in zip(header, batch.columns):
        lengths = pc.binary_length(column)
        longest = pc.max(lengths).as_py()
        if longest is not None and longest > limits.MAX_FIELD_BYTES:
            first = pc.index(pc.greater(lengths, limits.MAX_FIELD_BYTES), True).as_py()
            raise InputError(limits.over(f"field of {longest:,} bytes", limits.MAX_FIELD_BYTES,
                                         "MAX_FIELD_BYTES"), file=display,
                             row=rows + first + 1, field=name)


def _stage_csv(con: duckdb.DuckDBPyConnection, path: Path, display: str, table: str) -> int:
    check_header_size(path, display)            # before the file is read at all
    with utf8_copy(path, display) as text:
        delimiter = sniff_delimiter(text)
        header = _header(text, display, delimiter)
        # a ';' file is German-locale Excel: decimal commas in the figures (764,5)
        decimal_comma = {i for i, h in enumerate(header)
                         if delimiter == ";" and h in _NUMERIC_COLUMNS}
        columns = ", ".join(f"{_quoted(h)} VARCHAR" for h in header)
        con.execute(f'CREATE OR REPLACE TEMP TABLE {table} (_row BIGINT, {columns})')
        rows = 0
        try:
            # absolute: pyarrow would read a leading "~" as the home folder
            for batch in pacsv.open_csv(str(text.absolute()), **_csv_options(header, delimiter)):
                _check_batch(batch, header, rows, display)
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


_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:/")


def check_input_path(path: Path, display: str | None = None) -> os.stat_result:
    """Refuse, before the file is opened, what is not a regular local file within
    ``MAX_FILE_BYTES``: a URL (never fetched), a missing file, a directory, a FIFO, device
    or socket (opening one may block or never end), an empty or oversized file."""
    display = display or str(path)
    if _URL.match(str(path)) and not os.path.lexists(path):
        raise InputError("a URL, not a file: magwatch imports local files only "
                         "(download it first)", file=display)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError("no such file", file=display) from None
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", file=display) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError("a directory, not a file", file=display)
    if not stat.S_ISREG(info.st_mode):
        raise InputError("not a regular file (a FIFO, device or socket); "
                         "import a regular file", file=display)
    if info.st_size > limits.MAX_FILE_BYTES:
        raise InputError(limits.over(f"file of {info.st_size:,} bytes", limits.MAX_FILE_BYTES,
                                     "MAX_FILE_BYTES"), file=display)
    if info.st_size == 0:
        raise InputError("file is empty", file=display)
    return info


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, table: str = "_stage",
               sheet: str | None = None) -> int:
    """Stage a file as relation ``table`` with a ``_row`` column; return its row count.
    ``sheet`` names the one worksheet of a workbook to read."""
    display = str(path)
    check_input_path(path, display)
    fmt = detect_format(path)
    drop_stage(con, table)
    if fmt == "xlsx":
        rows = _stage_xlsx(con, path, display, table, sheet)
    else:
        rows = {"csv": _stage_csv, "parquet": stage_parquet}[fmt](con, path, display, table)
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
