"""The store as a folder of Hive-partitioned Parquet, and back.

``export_parquet`` writes what the store holds so any engine that reads
Parquet (DuckDB, Spark, Trino, Polars) can run the analytics over it:

* ``observation/`` the full history, every vintage of every figure;
* ``observation_latest/`` the latest vintage per key (what the analytics read);
* ``claim/`` and ``claim_latest/`` reported claims, the same way;
* ``release/`` and ``reference/`` the release log and the bundled reference
  tables (one file each: small);
* ``magwatch-export.json`` the manifest: layout, partition columns, row counts.

Fact tables are partitioned by the period's calendar year and month
(``period_year=2025/period_month=6/``) and, with ``by_reporter``, by reporter
below that (``.../reporter=CHN/``). Partition columns are derived from
``period`` and ``reporter``; readers drop them again and keep the canonical
columns (``release_id`` included, so every row still names its release).

The export is written beside its folder under a temporary name, the manifest last,
and moved into place when complete; a folder without a manifest, or whose files hold
other row counts than it states, is an incomplete export and import refuses it.

``import_parquet`` replays such a folder into a store, one release per exported release
in the order they were first ingested, so later vintages revise earlier ones exactly as
they did in the source store. Every row first passes the checks of a file import and
must agree with its release's provenance; then all releases are written in one
transaction. A release whose source and SHA-256 the target store already holds is
skipped, so importing a store's own export changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from magwatch.errors import InputError, ParameterError
from magwatch.records import CLAIM_SCHEMA, OBSERVATION_SCHEMA
from magwatch.store.atomic import fsync_dir, fsync_tree, remove, remove_leftovers, temp_beside
from magwatch.store.atomic import write_text_atomic
from magwatch.store.export_checks import validate_rows
from magwatch.store.export_read import (canonical_family, count_rows, drop_staged,
                                        read_release_log, stage_fact, stage_references,
                                        stage_release_log)
from magwatch.store.ingest import Release, commit_release, find_release, release_committed
from magwatch.store.normalise import sql_literal
from magwatch.store.schema import DUCKDB_TYPES, fetch_one

MANIFEST = "magwatch-export.json"
FORMAT = "magwatch-parquet/1"
#: Fact tables and the canonical schema of each (``release_id`` appended).
FACT_TABLES = {
    "observation": OBSERVATION_SCHEMA,
    "observation_latest": OBSERVATION_SCHEMA,
    "claim": CLAIM_SCHEMA,
    "claim_latest": CLAIM_SCHEMA,
}
PERIOD_PARTITIONS = ("period_year", "period_month")
SIDE_TABLES = ("release", "reference")


def canonical_schema(table: str) -> pa.Schema:
    """Arrow schema of a fact table as exported: the canonical columns plus ``release_id``."""
    return FACT_TABLES[table].append(pa.field("release_id", pa.int64(), nullable=False))


def partition_columns(by_reporter: bool) -> list[str]:
    return [*PERIOD_PARTITIONS, *(["reporter"] if by_reporter else [])]


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_parquet(store, directory: str | Path, *, by_reporter: bool = False,
                   overwrite: bool = False) -> dict:
    """Write the store to ``directory``; return the manifest (also written as JSON).

    Refuses a non-empty directory unless ``overwrite`` (then the folders this
    export writes are replaced; other files are left alone). The export is written
    beside ``directory`` under a temporary name, manifest last, and moved into place
    when complete (:func:`_put_in_place`); partial copies of an export killed earlier
    are removed first.
    """
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a directory", file=str(out))
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise InputError("directory is not empty; choose an empty one or pass --overwrite",
                         file=str(out))
    temp = temp_beside(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(out)
        remove(temp)
        temp.mkdir()
        manifest = _write_export(store, temp, partition_columns(by_reporter))
        _put_in_place(temp, out)
    except OSError as exc:
        raise InputError(f"cannot be written ({exc.strerror or exc})", file=str(out)) from None
    except duckdb.Error as exc:
        raise InputError(f"cannot be written ({str(exc).splitlines()[0][:300]})",
                         file=str(out)) from None
    finally:
        remove(temp)
    return manifest


def _write_export(store, out: Path, partitions: list[str]) -> dict:
    """Every table into ``out``, flushed to disk, then the manifest that says it is complete."""
    con = store.con
    counts: dict[str, int] = {}
    for table in FACT_TABLES:
        counts[table] = fetch_one(con.execute(f"SELECT count(*) FROM {table}"))[0]
        if counts[table] == 0:
            continue                                   # readers treat a missing folder as empty
        columns = ", ".join(canonical_schema(table).names)
        con.execute(
            f"COPY (SELECT {columns}, year(period) AS period_year, month(period) AS period_month "
            f"FROM {table} ORDER BY period, reporter, commodity, partner, vintage) "
            f"TO {_quote(out / table)} (FORMAT parquet, COMPRESSION zstd, "
            f"PARTITION_BY ({', '.join(partitions)}), FILENAME_PATTERN 'part-{{i}}')")
    for table in SIDE_TABLES:
        (out / table).mkdir()
        select = "SELECT name, source_row, CAST(record AS VARCHAR) AS record, release_id " \
                 "FROM reference ORDER BY name, source_row" if table == "reference" else \
                 "SELECT * FROM release ORDER BY release_id"
        counts[table] = fetch_one(con.execute(f"SELECT count(*) FROM {table}"))[0]
        con.execute(f"COPY ({select}) TO {_quote(out / table / (table + '.parquet'))} "
                    f"(FORMAT parquet, COMPRESSION zstd)")
    manifest = {
        "format": FORMAT,
        "exported_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "store": str(store.path) if store.path is not None else None,
        "partition_by": partitions,
        "rows": counts,
        "tables": {t: {"path": t, "columns": canonical_schema(t).names} for t in FACT_TABLES},
    }
    fsync_tree(out)                                    # the data on disk before the manifest
    write_text_atomic(out / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return manifest


def _put_in_place(temp: Path, out: Path) -> None:
    """Move the complete export ``temp`` to ``out``.

    An absent or empty ``out`` is replaced by one rename. Over an earlier export
    (``--overwrite``) the manifest goes first, so that a crash midway leaves a folder
    import refuses as incomplete, then each table folder is swapped, the new manifest last.
    """
    if not out.is_symlink() and (not out.exists() or not any(out.iterdir())):
        try:
            os.replace(temp, out)
            fsync_dir(out.parent)
            return
        except OSError:                                # someone wrote into it meanwhile
            pass
    (out / MANIFEST).unlink(missing_ok=True)
    fsync_dir(out)
    for name in (*FACT_TABLES, *SIDE_TABLES):
        if (out / name).exists():
            os.replace(out / name, temp / f".old-{name}")    # removed with temp
        if (temp / name).exists():
            os.replace(temp / name, out / name)
    fsync_dir(out)
    os.replace(temp / MANIFEST, out / MANIFEST)
    fsync_dir(out)


# -- reading back -------------------------------------------------------------------------

def read_manifest(directory: str | Path) -> dict:
    """The manifest of an export folder; InputError naming the file and field when the
    folder is not one (or is an incomplete one: an export writes its manifest last)."""
    folder = Path(directory)
    path = folder / MANIFEST
    if not folder.is_dir():
        raise InputError("not a directory", file=str(folder))
    if not path.is_file():
        raise InputError(f"not a complete magwatch Parquet export: {MANIFEST} is missing (an "
                         f"export writes it last, so an interrupted one has none; write the "
                         f"folder with 'magwatch export parquet')", file=str(folder))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise InputError("not valid JSON (nested too deeply to read)", file=str(path)) from None
    except ValueError as exc:   # bad JSON, bad UTF-8, an integer over Python's 4,300 digits
        raise InputError(f"not valid JSON ({str(exc)[:200]})", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", file=str(path)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        got = manifest.get("format") if isinstance(manifest, dict) else None
        raise InputError(f"unsupported export format {got!r}; expected {FORMAT!r}",
                         file=str(path), field="format")
    partitions = manifest.get("partition_by")
    if not isinstance(partitions, list) or not all(isinstance(p, str) for p in partitions) \
            or list(partitions[:2]) != list(PERIOD_PARTITIONS) \
            or not set(partitions) <= {*PERIOD_PARTITIONS, "reporter"} \
            or len(set(partitions)) != len(partitions):
        raise InputError(f"unexpected partition columns {partitions!r}"[:200], file=str(path),
                         field="partition_by")
    _check_counts(manifest.get("rows"), path)
    return manifest


def _check_counts(rows: object, path: Path) -> None:
    if not isinstance(rows, dict):
        raise InputError(f"expected an object of row counts per table, got {type(rows).__name__}",
                         file=str(path), field="rows")
    for table in (*FACT_TABLES, *SIDE_TABLES):
        count = rows.get(table)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InputError(f"the row count of {table} must be a whole number >= 0, got "
                             f"{count!r}"[:200], file=str(path), field="rows")


@dataclass(frozen=True)
class ImportedExport:
    """What replaying an export folder did: one :class:`Release` per exported release."""

    folder: str
    releases: tuple

    @property
    def rows_read(self) -> int:
        return sum(r.rows_read for r in self.releases)

    @property
    def rows_added(self) -> int:
        return sum(r.rows_added for r in self.releases)

    @property
    def claims_added(self) -> int:
        return sum(r.claims_added for r in self.releases)

    @property
    def skipped(self) -> bool:
        return all(r.skipped for r in self.releases)

    def describe(self) -> str:
        new = [r for r in self.releases if not r.skipped]
        text = (f"{self.folder}: {len(self.releases)} exported releases, {len(new)} replayed, "
                f"{len(self.releases) - len(new)} already in the store; {self.rows_added} "
                f"observations and {self.claims_added} reported claims added")
        return text


def import_parquet(store, directory: str | Path, *, source: str = "user",
                   vintage=None) -> ImportedExport:
    """Replay an export folder into ``store``: one release per exported release, one transaction.

    Every file, partition folder and row is checked first (:mod:`magwatch.store.export_read`,
    :mod:`magwatch.store.export_checks`): the checks of a file import, provenance agreeing
    with its release, and a folder complete as its manifest counts it. Then all its releases
    are written in a single transaction: a refusal or a crash leaves the store as it was.
    Each release keeps its own source and vintage, so ``source`` must be left at its default
    and ``vintage`` at None (they exist so ``Magwatch.import_file`` can pass its arguments
    through and refuse what does not apply).
    """
    if vintage is not None:
        raise ParameterError("vintage", "an export folder carries the vintage of each release; "
                             "leave it out")
    if source != "user":
        raise ParameterError("source", "an export folder carries the source of each release; "
                             "leave it out")
    folder = Path(directory)
    manifest = read_manifest(folder)
    con = store.con
    try:
        releases = _stage_folder(con, folder, manifest)
        validate_rows(con, releases, str(folder / "release" / "release.parquet"))
        done = _replay(con, folder, releases)
    except duckdb.Error as exc:
        raise InputError(f"cannot be imported ({str(exc).splitlines()[0][:300]})",
                         file=str(folder)) from None
    finally:
        drop_staged(con)
    store.publish()
    return ImportedExport(str(folder), tuple(done))


def _stage_folder(con, folder: Path, manifest: dict) -> list[dict]:
    """Check that the folder is whole and stage its rows; return its release log."""
    rows, partitions = manifest["rows"], manifest["partition_by"]
    staged = {}
    for table in FACT_TABLES:
        wanted = {f.name: canonical_family(f.type) for f in canonical_schema(table)}
        staged[table] = count_rows(folder, table, partitions, wanted, rows[table])
    releases = read_release_log(folder, rows["release"])
    stage_release_log(con, releases)
    for table in ("observation", "claim"):
        stage_fact(con, folder, table, FACT_TABLES[table], staged[table])
    stage_references(con, folder, rows["reference"])
    return releases


def _replay(con, folder: Path, releases: list[dict]) -> list:
    """Every release of the folder, in order, in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        done = [_replay_release(con, folder, release) for release in releases]
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    new = [r.release_id for r in done if not r.skipped]
    if new:                               # the kept answers move once, over all of them
        release_committed(con, new[-1], new[0])
    return done


def _replay_release(con, folder: Path, row: dict):
    rid = int(row["release_id"])
    if row["sha256"] is not None:
        existing = find_release(con, row["source"], row["sha256"])
        if existing is not None:
            n = fetch_one(con.execute(f"SELECT count(*) FROM _fx_observation "
                                      f"WHERE release_id = {rid}"))[0]
            return Release(existing, row["source"], row["file_name"], row["sha256"], n, 0,
                           skipped=True)
    relations = {}
    for table, view in (("observation", "_fx_obs_r"), ("claim", "_fx_claim_r")):
        columns = ", ".join(FACT_TABLES[table].names)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {columns} FROM _fx_{table} "
                    f"WHERE release_id = {rid}")
        if fetch_one(con.execute(f"SELECT count(*) FROM {view}"))[0]:
            relations[table] = view
    refs = {}
    names = [r[0] for r in con.execute("SELECT DISTINCT name FROM _fx_reference WHERE "
                                       f"release_id = {rid} ORDER BY name").fetchall()]
    for i, name in enumerate(names):
        refs[name] = f"_fx_ref_{i}"
        con.execute(f"CREATE OR REPLACE TEMP VIEW _fx_ref_{i} AS SELECT source_row, record "
                    f"FROM _fx_reference WHERE release_id = {rid} AND name = {sql_literal(name)}")
    note = f"imported from {folder.name} (release {rid} there)"
    if row.get("note"):
        note = f"{row['note']}; {note}"
    try:
        return commit_release(
            con, source=row["source"], vintage=row["vintage"], file_name=row["file_name"],
            file_size=row["file_size"], sha256=row["sha256"],
            observations=relations.get("observation"), claims=relations.get("claim"),
            references=refs or None, note=note, sources=[row["source"]],
            display=f"{folder} (release {rid})", keys_checked=True, transaction=False)
    finally:
        for view in ("_fx_obs_r", "_fx_claim_r", *refs.values()):
            con.execute(f"DROP VIEW IF EXISTS {view}")


def parquet_connection(folder: Path, tables: tuple[str, ...], config: dict):
    """An in-memory DuckDB connection with a view per fact table of the export in ``folder``.

    A table the export holds no file for becomes an empty table with the canonical
    columns, so queries over it answer "no rows" rather than fail.
    """
    import duckdb

    con = duckdb.connect(":memory:", config=config)
    con.execute("SET enable_progress_bar = false")
    for name in tables:
        schema = canonical_schema(name)
        if (folder / name).is_dir():
            glob = str(folder / name / "**" / "*.parquet").replace("'", "''")
            files = (f"read_parquet('{glob}', hive_partitioning = true, "
                     f"hive_types_autocast = false, union_by_name = true)")
            held = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {files}").fetchall()}
            columns = ", ".join(       # a column an older export lacks (LATER_COLUMNS) is NULL
                f"CAST({f.name if f.name in held else 'NULL'} AS {DUCKDB_TYPES[f.type]}) AS {f.name}"
                for f in schema)
            con.execute(f"CREATE VIEW {name} AS SELECT {columns} FROM {files}")
        else:
            columns = ", ".join(f"CAST({f.name} AS {DUCKDB_TYPES[f.type]}) AS {f.name}" for f in schema)
            con.register(f"_empty_{name}", schema.empty_table())
            con.execute(f"CREATE TABLE {name} AS SELECT {columns} FROM _empty_{name}")
            con.unregister(f"_empty_{name}")
    return con
