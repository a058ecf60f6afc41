"""Reading an export folder back: every file, partition folder and row checked before use.

An export folder is input like any other file: each Parquet file must be readable and hold
the canonical columns with their types, each partition folder must name a real year, month
(and reporter) that its rows agree with, the files must hold exactly the rows the manifest
counts (else the export is incomplete: interrupted, or written by a tool that wrote the
manifest first), and every row must name a release of the release log. The rows of a
fact table are staged once into a temporary table of the store's connection
(``_fx_observation``, ``_fx_claim``) with the file and row each came from, so a refusal
names them. :mod:`magwatch.store.export_checks` then validates the staged rows.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from magwatch.errors import InputError
from magwatch.store.schema import DUCKDB_TYPES, fetch_one

#: Columns of the exported release log and the Arrow type family each must have.
RELEASE_COLUMNS = {"release_id": "int", "source": "str", "vintage": "date", "file_name": "str",
                   "file_size": "int", "sha256": "str", "ingested_at": "timestamp", "note": "str"}
REFERENCE_COLUMNS = {"name": "str", "source_row": "int", "record": "str", "release_id": "int"}
_FAMILIES = {"int": pa.types.is_integer, "str": lambda t: pa.types.is_string(t)
             or pa.types.is_large_string(t), "date": pa.types.is_date,
             "timestamp": pa.types.is_timestamp, "float": pa.types.is_floating,
             "bool": pa.types.is_boolean}
#: control characters, C1 controls and text-direction overrides (as normalise.CONTROL_CLASS)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_REFERENCE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


def incomplete(folder: Path, detail: str) -> InputError:
    return InputError(f"incomplete export: {detail} (was the export interrupted? write it again "
                      "with 'magwatch export parquet')", file=str(folder))


def _family(arrow_type: pa.DataType) -> str:
    if pa.types.is_null(arrow_type):
        return "null"
    for name, test in _FAMILIES.items():
        if test(arrow_type):
            return name
    return str(arrow_type)


def canonical_family(arrow_type: pa.DataType) -> str:
    return {"int8": "int", "int64": "int", "string": "str", "date32[day]": "date",
            "double": "float", "bool": "bool"}[str(arrow_type)]


def read_schema(path: Path) -> tuple[pa.Schema, int]:
    """Schema and row count from a Parquet footer; InputError naming the file when unreadable."""
    try:
        meta = pq.ParquetFile(path).metadata
        return meta.schema.to_arrow_schema(), meta.num_rows
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"not a readable Parquet file ({str(exc).splitlines()[0][:200]})",
                         file=str(path)) from None


#: Columns the export format gained after its first exports: a folder written before them
#: (no flags yet) reads as rows the source stated no flag for.
LATER_COLUMNS = ("flag", "flag_raw")


def check_columns(schema: pa.Schema, wanted: dict[str, str], path: Path,
                  optional: tuple[str, ...] = ()) -> None:
    """Every wanted column present (but ``optional`` ones, which a partition folder may hold
    instead) with a type of its family; no column that is not wanted."""
    for name in schema.names:
        if name not in wanted:
            raise InputError("column not in the export format", file=str(path), field=name)
    for name, family in wanted.items():
        if name not in schema.names:
            if name in optional:
                continue
            raise InputError("column missing", file=str(path), field=name)
        got = _family(schema.field(name).type)
        if got not in (family, "null"):
            raise InputError(f"column holds {schema.field(name).type}, not {family}",
                             file=str(path), field=name)


def _partition_value(key: str, value: str, where: Path) -> object:
    if key == "reporter":
        if not re.fullmatch(r"[A-Z0-9]{1,8}", value):
            raise InputError(f"partition folder {key}={value!r} does not name a reporter code",
                             file=str(where))
        return value
    lo, hi = (1, 12) if key == "period_month" else (1, 9999)
    if not re.fullmatch(r"\d{1,4}", value) or not lo <= int(value) <= hi:
        raise InputError(f"partition folder {key}={value!r}: {key} must be a whole number from "
                         f"{lo} to {hi}", file=str(where))
    return int(value)


def partition_files(table_dir: Path, partitions: list[str]) -> list[tuple[Path, dict]]:
    """The data files below ``table_dir`` with the partition values their folders name."""
    found = []
    for path in sorted(table_dir.rglob("*")):
        if path.is_dir() or path.name.startswith((".", "_")):
            continue                      # hidden and marker files (_SUCCESS, .crc) hold no rows
        parts = path.relative_to(table_dir).parts[:-1]
        if path.suffix != ".parquet":
            raise InputError("not a Parquet file (an export folder holds only .parquet files)",
                             file=str(path))
        if len(parts) != len(partitions):
            raise InputError(f"file is not in a partition folder "
                             f"{'/'.join(p + '=...' for p in partitions)}", file=str(path))
        values = {}
        for key, part in zip(partitions, parts):
            name, sep, value = part.partition("=")
            if not sep or name != key:
                raise InputError(f"partition folder {part!r} where {key}=... belongs",
                                 file=str(path.parent))
            values[key] = _partition_value(key, value, path.parent)
        found.append((path, values))
    return found


def count_rows(folder: Path, table: str, partitions: list[str], wanted: dict[str, str],
               expected: int) -> list[tuple[Path, dict]]:
    """Check every file's footer and columns and that the files hold ``expected`` rows."""
    table_dir = folder / table
    if not table_dir.is_dir():
        if expected:
            raise incomplete(table_dir, f"folder missing, but the manifest counts {expected} "
                                        f"rows in {table}")
        return []
    files = partition_files(table_dir, partitions)
    optional = tuple(p for p in partitions if p in wanted)    # reporter, in its folder name
    optional += tuple(c for c in LATER_COLUMNS if c in wanted)
    total = 0
    for path, _ in files:
        schema, rows = read_schema(path)
        check_columns(schema, wanted, path, optional)
        total += rows
    if total != expected:
        raise incomplete(table_dir, f"the manifest counts {expected} rows in {table}, its files "
                                    f"hold {total}")
    return files


def _load(con: duckdb.DuckDBPyConnection, target: str, files: list[tuple[Path, dict]],
          where: Path) -> None:
    """Every row of ``files`` into temp table ``target``, with the file and row it came from."""
    paths = [str(p) for p, _ in files]
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {target} AS SELECT * EXCLUDE "
                    f"(filename, file_row_number), filename AS _file, file_row_number + 1 AS "
                    f"_file_row, row_number() OVER () AS _row FROM read_parquet($files, "
                    f"filename = true, file_row_number = true, hive_partitioning = false, "
                    f"union_by_name = true)", {"files": paths})
    except duckdb.Error as exc:
        for path in paths:                # name the file that cannot be read
            try:
                pq.read_table(path)
            except (pa.ArrowException, OSError, ValueError) as bad:
                raise InputError(f"unreadable Parquet data ({str(bad).splitlines()[0][:200]})",
                                 file=path) from None
        raise InputError(f"cannot be read ({str(exc).splitlines()[0][:200]})",
                         file=str(where)) from None


def stage_fact(con: duckdb.DuckDBPyConnection, folder: Path, table: str, schema: pa.Schema,
               files: list[tuple[Path, dict]]) -> str:
    """Stage the rows of one fact table as ``_fx_<table>``; check their partition folders."""
    target = f"_fx_{table}"
    if not files:
        ddl = ", ".join(f"{f.name} {DUCKDB_TYPES[f.type]}" for f in schema)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {target} ({ddl}, release_id BIGINT, "
                    f"_file VARCHAR, _file_row BIGINT, _row BIGINT)")
        return target
    _load(con, "_fx_raw", files, folder / table)
    held = {r[0] for r in con.execute("DESCRIBE _fx_raw").fetchall()}
    parts = pa.table({"_file": [str(p) for p, _ in files],
                      "_year": [v["period_year"] for _, v in files],
                      "_month": [v["period_month"] for _, v in files],
                      "_reporter": pa.array([v.get("reporter") for _, v in files], pa.string())})
    columns = []
    for f in schema:
        value = f"t.{f.name}" if f.name in held else "NULL"
        if f.name == "reporter":          # a file below reporter=XXX/ may leave the column out
            value = f"coalesce({value}, p._reporter)"
        columns.append(f"CAST({value} AS {DUCKDB_TYPES[f.type]}) AS {f.name}")
    con.register("_fx_parts", parts)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {target} AS SELECT {', '.join(columns)}, "
                    f"CAST(t.release_id AS BIGINT) AS release_id, t._file, t._file_row, t._row, "
                    f"p._year, p._month, p._reporter FROM _fx_raw t JOIN _fx_parts p USING (_file)")
    finally:
        con.unregister("_fx_parts")
        con.execute("DROP TABLE IF EXISTS _fx_raw")
    _check_partitions(con, target)
    return target


def _check_partitions(con: duckdb.DuckDBPyConnection, target: str) -> None:
    """Each row lies in the partition folder of its period (and reporter)."""
    bad = fetch_one(con.execute(
        f"SELECT _file, _file_row, strftime(period, '%Y-%m'), reporter FROM {target} "
        f"WHERE year(period) <> _year OR month(period) <> _month "
        f"OR (_reporter IS NOT NULL AND reporter IS DISTINCT FROM _reporter) "
        f"ORDER BY _row LIMIT 1"))
    if bad:
        raise InputError(f"row of period {bad[2]} and reporter {bad[3]} lies in another "
                         f"period's or reporter's partition folder", file=bad[0], row=bad[1],
                         field="period")


def _text_ok(value: object, where: Path, row: int, field: str, *, required: bool) -> None:
    if value is None:
        if required:
            raise InputError("empty field", file=str(where), row=row, field=field)
        return
    if not str(value).strip() and required:
        raise InputError("empty field", file=str(where), row=row, field=field)
    if _CONTROL.search(str(value)):
        raise InputError("control character in a text field (an escape code or a bell)",
                         file=str(where), row=row, field=field)


def _release_row_ok(row: dict, n: int, path: Path, seen: set, now: dt.datetime) -> None:
    rid = row["release_id"]
    if rid is None or rid in seen:
        raise InputError("release id empty or listed twice" + (f" ({rid})" if rid else ""),
                         file=str(path), row=n, field="release_id")
    seen.add(rid)
    _text_ok(row["file_name"], path, n, "file_name", required=False)
    _text_ok(row["sha256"], path, n, "sha256", required=False)
    _text_ok(row["note"], path, n, "note", required=False)     # shown by 'magwatch releases'
    if row["file_size"] is not None and row["file_size"] < 0:
        raise InputError("negative file size", file=str(path), row=n, field="file_size")
    stamp = row["ingested_at"]
    if stamp is None or stamp.replace(tzinfo=None) > now + dt.timedelta(days=1):
        raise InputError("ingestion time empty or in the future", file=str(path), row=n,
                         field="ingested_at")
    if row["vintage"] is not None and row["vintage"] > stamp.date() + dt.timedelta(days=1):
        raise InputError(f"vintage {row['vintage']} is after the release was ingested "
                         f"({stamp:%Y-%m-%d})", file=str(path), row=n, field="vintage")


def _python_rows(table: pa.Table, path: Path) -> list[dict]:
    """The rows of ``table`` as dicts; a date or time Python cannot hold (year 294247 as
    microseconds since 1970) is refused naming its row and field."""
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        try:
            columns[name] = column.to_pylist()
        except (OverflowError, ValueError, pa.ArrowException):
            row = 0
            for row in range(len(column)):
                try:
                    column[row].as_py()
                except (OverflowError, ValueError, pa.ArrowException):
                    break
            raise InputError("a date or time outside the calendar (years 1 to 9999)",
                             file=str(path), row=row + 1, field=name) from None
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


def read_release_log(folder: Path, expected: int) -> list[dict]:
    """The exported release log, checked row by row, in release order."""
    path = folder / "release" / "release.parquet"
    if not path.is_file():
        raise incomplete(folder, "release/release.parquet is missing")
    schema, rows = read_schema(path)
    for name, family in RELEASE_COLUMNS.items():
        if name not in schema.names:
            raise InputError("column missing", file=str(path), field=name)
        if _family(schema.field(name).type) not in (family, "null"):
            raise InputError(f"column holds {schema.field(name).type}, not {family}",
                             file=str(path), field=name)
    if rows != expected:
        raise incomplete(path, f"the manifest counts {expected} releases, the file holds {rows}")
    try:
        table = pq.read_table(path, columns=list(RELEASE_COLUMNS))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"unreadable Parquet data ({str(exc).splitlines()[0][:200]})",
                         file=str(path)) from None
    seen: set = set()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    releases = _python_rows(table, path)
    for n, row in enumerate(releases, 1):
        row["_row"] = n
        _release_row_ok(row, n, path, seen, now)
    return sorted(releases, key=lambda r: r["release_id"])


def stage_release_log(con: duckdb.DuckDBPyConnection, releases: list[dict]) -> None:
    """The release log as temp table ``_fx_release`` (for the provenance checks)."""
    table = pa.table({
        "release_id": pa.array([r["release_id"] for r in releases], pa.int64()),
        "source": pa.array([r["source"] for r in releases], pa.string()),
        "vintage": pa.array([r["vintage"] for r in releases], pa.date32()),
        "sha256": pa.array([r["sha256"] for r in releases], pa.string()),
        "ingested_at": pa.array([r["ingested_at"].replace(tzinfo=None) for r in releases],
                                pa.timestamp("us")),
        "note": pa.array([r["note"] for r in releases], pa.string()),
        "_row": pa.array([r["_row"] for r in releases], pa.int64())})
    con.register("_fx_release_arrow", table)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _fx_release AS SELECT * FROM _fx_release_arrow")
    finally:
        con.unregister("_fx_release_arrow")


def stage_references(con: duckdb.DuckDBPyConnection, folder: Path, expected: int) -> None:
    """The exported reference tables as temp table ``_fx_reference``, every record checked."""
    path = folder / "reference" / "reference.parquet"
    if not path.is_file():
        if expected:
            raise incomplete(folder, "reference/reference.parquet is missing")
        con.execute("CREATE OR REPLACE TEMP TABLE _fx_reference (name VARCHAR, source_row BIGINT, "
                    "record VARCHAR, release_id BIGINT, _file VARCHAR, _file_row BIGINT, "
                    "_row BIGINT)")
        return
    files = count_rows(folder, "reference", [], REFERENCE_COLUMNS, expected)
    _load(con, "_fx_reference", files, path)
    bad = fetch_one(con.execute(
        "SELECT _file, _file_row, CASE WHEN name IS NULL OR NOT regexp_full_match(name, ?) "
        "THEN 'name' WHEN source_row IS NULL THEN 'source_row' WHEN record IS NULL OR NOT "
        "json_valid(record) THEN 'record' ELSE 'release_id' END FROM _fx_reference WHERE name IS "
        "NULL OR NOT regexp_full_match(name, ?) OR source_row IS NULL OR record IS NULL OR NOT "
        "json_valid(record) OR release_id NOT IN (SELECT release_id FROM _fx_release) "
        "OR release_id IS NULL ORDER BY _row LIMIT 1",
        [_REFERENCE_NAME.pattern, _REFERENCE_NAME.pattern]))
    if bad:
        what = {"name": "not a reference table name", "source_row": "empty field",
                "record": "not a JSON record", "release_id": "names no release of the release log"}
        raise InputError(what[bad[2]], file=bad[0], row=bad[1], field=bad[2])


def drop_staged(con: duckdb.DuckDBPyConnection) -> None:
    for name in ("_fx_observation", "_fx_claim", "_fx_release", "_fx_reference"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    for name in ("_fx_stage", "_fx_obs_r", "_fx_claim_r"):
        con.execute(f"DROP VIEW IF EXISTS {name}")
