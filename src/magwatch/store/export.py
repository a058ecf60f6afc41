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

``import_parquet`` replays such a folder into a store through
:meth:`Store.ingest_records`, one release per exported release in the order
they were first ingested, so later vintages revise earlier ones exactly as
they did in the source store. A release whose source and SHA-256 the target
store already holds is skipped, so importing a store's own export changes
nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from magwatch.errors import InputError, ParameterError
from magwatch.records import CLAIM_SCHEMA, OBSERVATION_SCHEMA
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
    export writes are replaced; other files are left alone).
    """
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a directory", file=str(out))
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise InputError("directory is not empty; choose an empty one or pass --overwrite",
                         file=str(out))
    out.mkdir(parents=True, exist_ok=True)
    con = store.con
    partitions = partition_columns(by_reporter)
    counts: dict[str, int] = {}
    for table, schema in FACT_TABLES.items():
        target = out / table
        if target.exists():
            shutil.rmtree(target)
        counts[table] = fetch_one(con.execute(f"SELECT count(*) FROM {table}"))[0]
        if counts[table] == 0:
            continue                                   # readers treat a missing folder as empty
        columns = ", ".join(canonical_schema(table).names)
        con.execute(
            f"COPY (SELECT {columns}, year(period) AS period_year, month(period) AS period_month "
            f"FROM {table} ORDER BY period, reporter, commodity, partner, vintage) "
            f"TO {_quote(target)} (FORMAT parquet, COMPRESSION zstd, "
            f"PARTITION_BY ({', '.join(partitions)}), FILENAME_PATTERN 'part-{{i}}')")
    for table in SIDE_TABLES:
        target = out / table
        if target.exists():
            shutil.rmtree(target)
        target.mkdir()
        select = "SELECT name, source_row, CAST(record AS VARCHAR) AS record, release_id " \
                 "FROM reference ORDER BY name, source_row" if table == "reference" else \
                 "SELECT * FROM release ORDER BY release_id"
        counts[table] = fetch_one(con.execute(f"SELECT count(*) FROM {table}"))[0]
        con.execute(f"COPY ({select}) TO {_quote(target / (table + '.parquet'))} "
                    f"(FORMAT parquet, COMPRESSION zstd)")
    manifest = {
        "format": FORMAT,
        "exported_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "store": str(store.path) if store.path is not None else None,
        "partition_by": partitions,
        "rows": counts,
        "tables": {t: {"path": t, "columns": canonical_schema(t).names} for t in FACT_TABLES},
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


# -- reading back -------------------------------------------------------------------------

def read_manifest(directory: str | Path) -> dict:
    """The manifest of an export folder; InputError when the folder is not one."""
    folder = Path(directory)
    path = folder / MANIFEST
    if not folder.is_dir():
        raise InputError("not a directory", file=str(folder))
    if not path.is_file():
        raise InputError(f"not a magwatch Parquet export: {MANIFEST} is missing "
                         f"(write one with 'magwatch export parquet')", file=str(folder))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON ({exc})", file=str(path)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        got = manifest.get("format") if isinstance(manifest, dict) else None
        raise InputError(f"unsupported export format {got!r}; expected {FORMAT!r}",
                         file=str(path), field="format")
    partitions = manifest.get("partition_by")
    if not isinstance(partitions, list) or list(partitions[:2]) != list(PERIOD_PARTITIONS) \
            or not set(partitions) <= {*PERIOD_PARTITIONS, "reporter"}:
        raise InputError(f"unexpected partition columns {partitions!r}", file=str(path),
                         field="partition_by")
    return manifest


def partitioning(manifest: dict) -> ds.Partitioning:
    """The Hive partitioning of the fact tables, with fixed types (reporter stays text)."""
    types = {"period_year": pa.int32(), "period_month": pa.int32(), "reporter": pa.string()}
    return ds.partitioning(pa.schema([(c, types[c]) for c in manifest["partition_by"]]),
                           flavor="hive")


def fact_dataset(directory: str | Path, table: str, manifest: dict) -> ds.Dataset | None:
    """A pyarrow dataset over one exported fact table (None when the table was empty)."""
    folder = Path(directory) / table
    if not folder.is_dir():
        if manifest.get("rows", {}).get(table, 0):
            raise InputError(f"folder missing but the manifest counts "
                             f"{manifest['rows'][table]} rows", file=str(folder))
        return None
    return ds.dataset(folder, format="parquet", partitioning=partitioning(manifest))


def _canonical(table: pa.Table, name: str, where: str) -> pa.Table:
    schema = canonical_schema(name)
    missing = [c for c in schema.names if c not in table.column_names]
    if missing:
        raise InputError("column missing", file=where, field=missing[0])
    try:
        return table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InputError(f"cannot read as the canonical schema: {str(exc).splitlines()[0]}",
                         file=where) from None


def _by_release(dataset: ds.Dataset | None, name: str, release_id: int, where: str) -> pa.Table | None:
    if dataset is None:
        return None
    got = dataset.to_table(filter=ds.field("release_id") == release_id)
    if got.num_rows == 0:
        return None
    return _canonical(got, name, where)


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
    """Replay an export folder into ``store``: one release per exported release.

    Each release keeps its own source and vintage, so ``source`` must be left at
    its default and ``vintage`` at None (they exist so ``Magwatch.import_file``
    can pass its arguments through and refuse what does not apply).
    """
    if vintage is not None:
        raise ParameterError("vintage", "an export folder carries the vintage of each release; "
                             "leave it out")
    if source != "user":
        raise ParameterError("source", "an export folder carries the source of each release; "
                             "leave it out")
    folder = Path(directory)
    manifest = read_manifest(folder)
    release_file = folder / "release" / "release.parquet"
    if not release_file.is_file():
        raise InputError("release log missing", file=str(release_file))
    releases = pq.read_table(release_file)
    for column in ("release_id", "source", "vintage", "file_name", "file_size", "sha256"):
        if column not in releases.column_names:
            raise InputError("column missing", file=str(release_file), field=column)
    history = fact_dataset(folder, "observation", manifest)
    claims = fact_dataset(folder, "claim", manifest)
    reference_file = folder / "reference" / "reference.parquet"
    references = pq.read_table(reference_file) if reference_file.is_file() else None
    done = []
    for row in sorted(releases.to_pylist(), key=lambda r: r["release_id"]):
        rid = row["release_id"]
        obs = _by_release(history, "observation", rid, str(folder / "observation"))
        cl = _by_release(claims, "claim", rid, str(folder / "claim"))
        refs = {}
        if references is not None:
            mine = references.filter(pc.equal(references["release_id"], rid))
            for name in sorted(set(mine["name"].to_pylist())):
                part = mine.filter(pc.equal(mine["name"], name))
                refs[name] = part.select(["source_row", "record"])
        if obs is not None:
            obs = obs.drop_columns(["release_id"])
        if cl is not None:
            cl = cl.drop_columns(["release_id"])
        note = f"imported from {folder.name} (release {rid} there)"
        if row.get("note"):
            note = f"{row['note']}; {note}"
        done.append(store.ingest_records(
            obs, cl, source=row["source"], file_name=row["file_name"], sha256=row["sha256"],
            file_size=row["file_size"], vintage=row["vintage"], references=refs or None,
            note=note))
    return ImportedExport(str(folder), tuple(done))


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
        columns = ", ".join(f"CAST({f.name} AS {DUCKDB_TYPES[f.type]}) AS {f.name}" for f in schema)
        if (folder / name).is_dir():
            glob = str(folder / name / "**" / "*.parquet").replace("'", "''")
            con.execute(f"CREATE VIEW {name} AS SELECT {columns} FROM read_parquet('{glob}', "
                        f"hive_partitioning = true, hive_types_autocast = false, union_by_name = true)")
        else:
            con.register(f"_empty_{name}", schema.empty_table())
            con.execute(f"CREATE TABLE {name} AS SELECT {columns} FROM _empty_{name}")
            con.unregister(f"_empty_{name}")
    return con
