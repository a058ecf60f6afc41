"""Where the analytics run: the Ibis tables for a chosen engine.

The analytics (:mod:`magwatch.analytics`) are Ibis expressions over two tables,
``observation_latest`` and ``claim_latest``. This module is the one place that
decides which backend those tables live on:

* ``duckdb`` over the store (the default): the store's own connection;
* ``duckdb`` over a Parquet folder written by ``magwatch export parquet``
  (``data=DIR``): an in-memory DuckDB reading the Hive-partitioned files, with
  ``MAGWATCH_MEMORY_LIMIT`` as its memory limit and spilling to
  ``MAGWATCH_TEMP_DIR`` (default: a temporary directory) beyond it;
* ``spark`` over the same Parquet folder: Ibis's PySpark backend on a
  SparkSession for ``spark_master`` (``local[*]`` by default, ``spark://...``,
  ``yarn``, ``k8s://...``), or a Spark Connect session for ``sc://host:port``.

Either way the tables have the canonical columns and types of the store
(:mod:`magwatch.records` plus ``release_id``), so the same expressions give the
same answers. Nothing here computes a metric.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from magwatch.codes import MAGNET_LINE
from magwatch.config import settings
from magwatch.errors import EngineError, InputError, ParameterError

ENGINES = ("duckdb", "spark")
DEFAULT_SPARK_MASTER = "local[*]"
#: Tables the analytics read, as exported by magwatch.store.export.
TABLES = ("observation_latest", "claim_latest", "observation", "claim")

_SPARK_TYPES = {pa.string(): "string", pa.date32(): "date", pa.int8(): "tinyint",
                pa.int64(): "bigint", pa.float64(): "double", pa.bool_(): "boolean"}


@dataclass
class Tables:
    """The analytics' input tables on one engine. Close it (or use ``with``) when done."""

    engine: str
    backend: object
    observations: object            # ibis table: observation_latest
    claims: object                  # ibis table: claim_latest
    where: str                      # what the tables read, in words
    _closers: list = field(default_factory=list, repr=False)
    _names: dict = field(default_factory=dict, repr=False)

    def table(self, name: str):
        """Any exported table by name (``observation`` holds every vintage)."""
        if name not in TABLES:
            raise ParameterError("table", f"expected one of {', '.join(TABLES)}, got {name!r}")
        return self.backend.table(self._names.get(name, name))

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()

    def __enter__(self) -> "Tables":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_tables(engine: str = "duckdb", *, store=None, data: str | os.PathLike[str] | None = None,
                spark_master: str | None = None, spark_session=None) -> Tables:
    """The analytics' input tables on ``engine``.

    ``store`` (a :class:`magwatch.store.Store`) serves ``duckdb`` when ``data`` is
    None; ``data`` is a folder written by ``magwatch export parquet``. ``spark``
    needs ``data``. ``spark_session`` reuses a SparkSession you already have (then
    ``spark_master`` is ignored and the session is left running on close).
    """
    engine = (engine or "duckdb").strip().lower()
    if engine not in ENGINES:
        raise ParameterError("engine", f"expected one of {', '.join(ENGINES)}, got {engine!r}")
    if spark_master is not None and engine != "spark":
        raise ParameterError("spark-master", "only applies with --engine spark")
    manifest = None
    if data is not None:
        from magwatch.store.export import read_manifest

        manifest = read_manifest(data)
    if engine == "duckdb":
        if data is None:
            if store is None:
                raise ParameterError("data", "give a store or a Parquet folder (--data DIR)")
            con = store.ibis()
            where = f"DuckDB store {store.path or ':memory:'}"
            return Tables("duckdb", con, con.table("observation_latest"),
                          con.table("claim_latest"), where)
        return _duckdb_parquet(Path(data), manifest)
    if data is None:
        raise ParameterError("data", "the spark engine reads a Parquet folder written by "
                             "'magwatch export parquet'; pass --data DIR")
    _check_whole(Path(data), manifest)                # before Spark starts
    return _spark_parquet(Path(data), manifest, spark_master or DEFAULT_SPARK_MASTER, spark_session)


# -- DuckDB over Parquet ------------------------------------------------------------------

def duckdb_config() -> tuple[dict, str | None]:
    """Connection settings for large reads: memory limit and spill directory."""
    found = settings()
    config = {}
    if found.memory_limit:
        config["memory_limit"] = found.memory_limit
    return config, found.temp_dir


def _check_counts(raw, folder: Path, manifest: dict) -> None:
    """Each table holds the rows its manifest counts (Parquet footers say, no data is read):
    a folder whose files were removed or added after the export is refused, not read."""
    for table in TABLES:
        held = raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        counted = manifest["rows"].get(table)
        if counted is not None and held != counted:
            raise InputError(f"{table} holds {held:,} rows where the manifest counts {counted:,}: "
                             f"the folder changed after its export (export it again)",
                             file=str(folder), field="rows")


def _check_whole(folder: Path, manifest: dict) -> None:
    """:func:`_check_counts` on a connection of its own (for an engine other than DuckDB)."""
    from magwatch.store.export import parquet_connection

    raw = parquet_connection(folder, TABLES, {})
    try:
        _check_counts(raw, folder, manifest)
    finally:
        raw.close()


def _duckdb_parquet(folder: Path, manifest: dict) -> Tables:
    import duckdb
    import ibis

    from magwatch.store.export import parquet_connection

    config, temp = duckdb_config()
    cleanup = None
    if temp is None:
        cleanup = tempfile.TemporaryDirectory(prefix="magwatch-spill-")
        temp = cleanup.name
    config["temp_directory"] = temp
    try:
        raw = parquet_connection(folder, TABLES, config)
    except duckdb.Error as exc:
        raise ParameterError("MAGWATCH_MEMORY_LIMIT", str(exc).splitlines()[0]) from None
    try:
        _check_counts(raw, folder, manifest)
    except BaseException:
        raw.close()
        raise
    con = ibis.duckdb.from_connection(raw)
    closers = [raw.close] + ([cleanup.cleanup] if cleanup is not None else [])
    return Tables("duckdb", con, con.table("observation_latest"), con.table("claim_latest"),
                  f"DuckDB over Parquet {folder}", closers)


# -- Spark over Parquet -------------------------------------------------------------------

def spark_session(master: str = DEFAULT_SPARK_MASTER, *, app_name: str = "magwatch",
                  shuffle_partitions: int | None = None, connect: bool = False):
    """A SparkSession for ``master`` (``sc://...`` opens a Spark Connect session).

    ``connect=True`` with a local master (``local[2]``) starts a Spark Connect server on
    this machine and opens a Connect session to it, as a client of a remote cluster would
    (pyspark's ``builder.remote("local[N]")``; needs ``pyspark[connect]``). Sessions run in
    UTC so dates never shift. ``shuffle_partitions`` defaults to
    ``MAGWATCH_SPARK_SHUFFLE_PARTITIONS`` or Spark's own default (200).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError("the spark engine needs pyspark 4.0.x (pip install 'pyspark==4.0.5') "
                          "and Java 17") from None
    builder = SparkSession.builder.appName(app_name)
    if master.startswith("sc://") or connect:
        builder = builder.remote(master)
    else:
        builder = (builder.master(master)
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false"))
    builder = builder.config("spark.sql.session.timeZone", "UTC")
    partitions = shuffle_partitions or settings().spark_shuffle_partitions
    if partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(partitions))
    try:
        return builder.getOrCreate()
    except Exception as exc:  # Java missing, master unreachable: Py4J / Spark raise many kinds
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EngineError(f"cannot start Spark for master {master!r}: {first}") from None


_opened = itertools.count(1)


def _spark_file_schema(schema: pa.Schema, manifest: dict) -> str:
    """The files' columns and the partition folders' (as text), stated so Spark reads no
    file to learn them: a query then opens only the files of the folders it needs."""
    partitions = list(manifest.get("partition_by") or ())
    columns = [f"{f.name} {_SPARK_TYPES[f.type]}" for f in schema if f.name not in partitions]
    return ", ".join(columns + [f"{name} string" for name in partitions])


def _spark_parquet(folder: Path, manifest: dict, master: str, session) -> Tables:
    import ibis

    from magwatch.store.export import canonical_schema

    # Temporary views live in the session; a suffix keeps two opened folders apart.
    names = {name: f"magwatch_{name}_{next(_opened)}" for name in TABLES}
    own = session is None
    if own:
        session = spark_session(master)
    from pyspark.sql import functions as F

    months_apart = {"period_year", "period_month"} <= set(manifest.get("partition_by", ()))
    for name in TABLES:
        schema = canonical_schema(name)
        path = folder / name
        if path.is_dir():
            frame = (session.read.schema(_spark_file_schema(schema, manifest))
                     .option("basePath", str(path)).parquet(str(path)))
        else:
            ddl = ", ".join(f"{f.name} {_SPARK_TYPES[f.type]}" for f in schema)
            frame = session.createDataFrame([], ddl)
        columns = {f.name: F.col(f.name).cast(_SPARK_TYPES[f.type]) for f in schema}
        if months_apart and path.is_dir():
            # the month from the folder names (the export writes a row under its period's
            # year and month): a filter on period is then a filter on folders, and Spark
            # reads only the months a query asks for (tests/scale: test_spark_reads_only...)
            columns["period"] = F.make_date(F.col("period_year").cast("int"),
                                            F.col("period_month").cast("int"), F.lit(1))
        frame = frame.select(*[column.alias(name) for name, column in columns.items()])
        frame.createOrReplaceTempView(names[name])
    con = ibis.pyspark.connect(session)
    if own:
        closers = [session.stop]
    else:
        closers = [lambda: [session.catalog.dropTempView(v) for v in names.values()]]
    return Tables("spark", con, con.table(names["observation_latest"]),
                  con.table(names["claim_latest"]),
                  f"Spark ({master if own else 'given session'}) over Parquet {folder}", closers,
                  names)


# -- the analytics on a chosen engine -----------------------------------------------------

def monitor_on(engine: str = "duckdb", *, store=None, data=None, spark_master: str | None = None,
               spark_session=None, month: str | None = None, reporter: str = "CHN",
               commodity: str = MAGNET_LINE, flow: str = "X") -> dict:
    """:func:`magwatch.analytics.monitor.monitor` on ``engine`` (same function, other tables)."""
    from magwatch.analytics.monitor import monitor, parse_month

    parsed = parse_month(month)
    with open_tables(engine, store=store, data=data, spark_master=spark_master,
                     spark_session=spark_session) as t:
        return monitor(t.observations, t.claims, month=parsed, reporter=reporter,
                       commodity=commodity, flow=flow)


def audit_on(engine: str = "duckdb", *, store=None, data=None, spark_master: str | None = None,
             spark_session=None, reporter: str | None = None) -> pa.Table:
    """:func:`magwatch.analytics.audit.audit` on ``engine``."""
    from magwatch.analytics.audit import audit

    with open_tables(engine, store=store, data=data, spark_master=spark_master,
                     spark_session=spark_session) as t:
        return audit(t.observations, t.claims, reporter=reporter)
