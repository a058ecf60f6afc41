"""Stage a Parquet file for import: its footer checked against the limits before it is
parsed, its name given to DuckDB as a path (never a glob pattern), timezone-aware
timestamps read as the wall time of the zone they were written in, and every data
page read once, so a damaged page is refused here in one line.

The staged relation is a view over the file (DuckDB scans it, so a file larger than
memory never sits in it whole); ``_row`` is the 1-based data row.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from magwatch.errors import InputError
from magwatch.store import limits

_MAGIC = b"PAR1"
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")


def escape_glob(text: str) -> str:
    """``text`` with DuckDB's glob characters ``* ? [`` written as one-character classes
    (``[*]``, ``[?]``, ``[[]``), so DuckDB matches it literally."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def duckdb_path(path: Path) -> str:
    """``path`` as a DuckDB string literal that names exactly this file: absolute (no
    ``~`` or URL scheme is read into it) and glob characters escaped, so ``[ab].parquet``
    is that file, not ``a.parquet`` and ``b.parquet``."""
    return "'" + escape_glob(str(Path(path).absolute())).replace("'", "''") + "'"


def _check_literal(con: duckdb.DuckDBPyConnection, path: Path, display: str) -> None:
    """Refuse a name DuckDB cannot take literally: it reads a backslash in a pattern as an
    escape, so a name holding one and a glob character matches no file (or another one)."""
    text = str(Path(path).absolute())
    found = []
    if not ("\\" in text and re.search(r"[*?\[]", text)):
        found = con.execute(f"SELECT file FROM glob({duckdb_path(path)})").fetchall()
    if [f for (f,) in found] != [text]:
        raise InputError("this file name cannot be given to the Parquet reader as a name "
                         "(it holds a backslash and one of * ? [); rename the file", file=display)


def _check_footer(path: Path, display: str, size: int) -> None:
    """Refuse a file with no Parquet footer or one over ``MAX_PARQUET_FOOTER_BYTES``,
    reading only its last 8 bytes."""
    with path.open("rb") as fh:
        fh.seek(max(size - 8, 0))
        tail = fh.read(8)
    if len(tail) < 8 or tail[4:] != _MAGIC:
        raise InputError("not a readable Parquet file, it may be truncated (no Parquet footer "
                         "at its end)", file=display)
    (length,) = struct.unpack("<I", tail[:4])
    if length > size - 12:          # magic at the start, the footer, its length and magic
        raise InputError("not a readable Parquet file, it may be truncated (its footer would "
                         "start before the file does)", file=display)
    if length > limits.MAX_PARQUET_FOOTER_BYTES:
        raise InputError(limits.over(f"Parquet footer of {length:,} bytes",
                                     limits.MAX_PARQUET_FOOTER_BYTES, "MAX_PARQUET_FOOTER_BYTES"),
                         file=display)


def _open(path: Path, display: str) -> pq.ParquetFile:
    _check_footer(path, display, path.stat().st_size)
    try:
        return pq.ParquetFile(str(Path(path).absolute()))      # pyarrow reads "~" as home
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"not a readable Parquet file, it may be truncated ({exc})",
                         file=display) from None


def _check_shape(meta: pq.FileMetaData, display: str) -> None:
    """Columns, rows and each row group's decompressed size, from the footer alone."""
    if meta.num_columns > limits.MAX_COLUMNS:
        raise InputError(limits.over(f"{meta.num_columns:,} columns", limits.MAX_COLUMNS,
                                     "MAX_COLUMNS", in_bytes=False), file=display)
    if meta.num_rows > limits.MAX_ROWS:
        raise InputError(limits.over(f"{meta.num_rows:,} rows", limits.MAX_ROWS, "MAX_ROWS",
                                     in_bytes=False), file=display)
    for i in range(meta.num_row_groups):
        group = meta.row_group(i).total_byte_size
        if group > limits.MAX_PARQUET_ROW_GROUP_BYTES:
            raise InputError(limits.over(f"row group {i + 1} of {group:,} bytes decompressed",
                                         limits.MAX_PARQUET_ROW_GROUP_BYTES,
                                         "MAX_PARQUET_ROW_GROUP_BYTES"), file=display)


def _zone_column(con: duckdb.DuckDBPyConnection, name: str, zone: str | None,
                 display: str) -> str:
    """SQL for a timezone-aware timestamp column as the wall time in its own zone
    (2025-07-01 06:30 Tokyo stays 2025-07-01 06:30, July, not June in UTC)."""
    from magwatch.store.files import _quoted

    column = _quoted(name)
    if zone is None:
        raise InputError("a timestamp with a time zone, but the file does not say which zone "
                         "it was written in (only UTC instants are stored); write the period "
                         "as text YYYY-MM or as a date", file=display, field=name)
    offset = _OFFSET.fullmatch(zone)
    if offset:
        sign, hours, minutes = offset.groups()
        shift = (int(hours) * 60 + int(minutes)) * (1 if sign == "+" else -1)
        return f"timezone('UTC', {column}) + INTERVAL ({shift}) MINUTE"
    try:
        con.execute("SELECT timezone(?, TIMESTAMPTZ '2000-01-01 00:00:00+00')", [zone])
    except duckdb.Error:
        raise InputError(f"a timestamp in the unknown time zone {zone!r}", file=display,
                         field=name) from None
    return f"timezone('{zone.replace(chr(39), chr(39) * 2)}', {column})"


def _zones(meta: pq.ParquetFile) -> dict[str, str | None]:
    """Each timezone-aware timestamp column and the zone the writer recorded (None when
    the file holds only UTC-adjusted instants, with no Arrow schema naming a zone)."""
    recorded = b"ARROW:schema" in (meta.metadata.metadata or {})
    return {field.name: (field.type.tz if recorded else None)
            for field in meta.schema_arrow
            if pa.types.is_timestamp(field.type) and field.type.tz is not None}


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."


def _scan(con: duckdb.DuckDBPyConnection, table: str, display: str) -> None:
    """Read every value once: a damaged data page is refused here, and a text value over
    ``MAX_FIELD_BYTES`` is refused naming its row and column."""
    described = [(n, t) for n, t, *_ in con.execute(f"DESCRIBE {table}").fetchall() if n != "_row"]
    try:
        found = con.execute(f"SELECT {', '.join(_reads(n, t) for n, t in described)} "
                            f"FROM {table}").fetchone()
    except duckdb.Error as exc:
        raise _damaged(con, table, described, exc, display) from None
    for (name, kind), longest in zip(described, found):
        if kind in ("VARCHAR", "BLOB") and longest is not None and longest > limits.MAX_FIELD_BYTES:
            row = con.execute(f"SELECT min(_row) FROM {table} WHERE {_reads(name, kind, 'min')} "
                              "> ?", [limits.MAX_FIELD_BYTES]).fetchone()[0]
            raise InputError(limits.over(f"field of {longest:,} bytes", limits.MAX_FIELD_BYTES,
                                         "MAX_FIELD_BYTES"), file=display, row=row, field=name)


def _reads(name: str, kind: str, aggregate: str = "max") -> str:
    """An expression that decodes every value of a column: a text value's length in bytes,
    any other value's hash (``min`` gives the bare length, for a WHERE clause)."""
    from magwatch.store.files import _quoted

    value = (f"strlen({_quoted(name)})" if kind == "VARCHAR" else
             f"octet_length({_quoted(name)})" if kind == "BLOB" else f"hash({_quoted(name)})")
    return value if aggregate == "min" else f"max({value})"


def _damaged(con: duckdb.DuckDBPyConnection, table: str, described: list[tuple[str, str]],
             exc: duckdb.Error, display: str) -> InputError:
    """The refusal of a file whose pages do not decode, naming the first column that fails
    (each read alone; only on the error path)."""
    for name, kind in described:
        try:
            con.execute(f"SELECT {_reads(name, kind)} FROM {table}").fetchone()
        except duckdb.Error as column_exc:
            return InputError(f"a Parquet data page cannot be read, the file is damaged "
                              f"(DuckDB: {_one_line(column_exc)})", file=display, field=name)
    return InputError(f"a Parquet data page cannot be read, the file is damaged "
                      f"(DuckDB: {_one_line(exc)})", file=display)


def stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, display: str, table: str) -> int:
    """Stage ``path`` as view ``table``; return its row count (from the footer)."""
    from magwatch.store.files import _check_header, _quoted, canonical_name

    meta = _open(path, display)
    _check_shape(meta.metadata, display)
    _check_literal(con, path, display)
    names = list(meta.schema_arrow.names)
    _check_header([n.strip() for n in names], display)
    zones = _zones(meta)
    columns = ", ".join(
        f"{_zone_column(con, n, zones[n], display) if n in zones else _quoted(n)} "
        f"AS {_quoted(canonical_name(n))}" for n in names)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT file_row_number + 1 AS _row, "
            f"{columns} FROM read_parquet({duckdb_path(path)}, file_row_number = true)")
    except duckdb.Error as exc:
        raise InputError(f"not a readable Parquet file ({_one_line(exc)})", file=display) from None
    _scan(con, table, display)
    return meta.metadata.num_rows
