"""The Store: opening the DuckDB file, ingesting releases, answering queries."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from magwatch.config import settings
from magwatch.errors import InputError, StoreError
from magwatch.store import queries
from magwatch.store.files import check_input_path, drop_stage, stage_file, user_line
from magwatch.store.xlsx import sheet_key
from magwatch.store.ingest import Release, commit_release, find_release, landing, read_unchanged
from magwatch.store.writer import PrivateCopy, WriterLock
from magwatch.store.normalise import normalise
from magwatch.store.migrate import add_flags, schema_version
from magwatch.store.schema import DDL, SCHEMA_VERSION, fetch_one, history_view, key_match
from magwatch.records import CLAIM_KEY, CLAIM_SCHEMA, OBSERVATION_KEY, OBSERVATION_SCHEMA


#: The name the store file is attached under in its connection (``current_database()``).
STORE_ALIAS = "store"


class Store:
    """One DuckDB file holding releases, the observation history and the latest figures."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, read_only: bool = False,
                 memory_limit: str | None = None) -> None:
        """Open the store at ``path`` (in memory without one).

        Read-only, it reads the store as last published. Writable, it takes the store's
        writer lock and works on a private copy published whole after each release and on
        :meth:`close` (magwatch.store.writer): readers in other processes are never refused.
        """
        self.path = Path(path) if path is not None else None
        self.read_only = read_only
        self._lock = self._copy = None
        if self.path is not None and not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        if read_only and self.path is not None and not self.path.exists():
            raise StoreError(f"store {self.path} does not exist; run 'magwatch load' first")
        config = {}
        limit = memory_limit or settings().memory_limit
        if limit:
            config["memory_limit"] = limit
        if self.path is not None and not read_only:
            self._lock = WriterLock(self.path).acquire()
        try:
            self.con = self._connect(config)
            if not read_only:
                self._migrate()
                self.publish()
            else:
                self._check_version()
        except BaseException:
            self._release()
            raise

    def _connect(self, config: dict) -> duckdb.DuckDBPyConnection:
        """A connection to the store file, attached to an instance of its own.

        DuckDB shares one instance among connections to the same file in a process, so a
        second connection would see the file as it was when the first one opened it, not
        as last published; an in-memory instance with the file attached has no such tie."""
        if self.path is None:
            return duckdb.connect(":memory:", config=config)
        target = self.path
        if not self.read_only:
            self._copy = PrivateCopy(self.path)
            target = self._copy.begin()
        con = duckdb.connect(":memory:", config=config)
        try:
            con.execute(f"ATTACH ? AS {STORE_ALIAS} ({'READ_ONLY' if self.read_only else 'READ_WRITE'})",
                        [str(target)])
            con.execute(f"USE {STORE_ALIAS}")
        except duckdb.Error as exc:
            con.close()
            message = str(exc).splitlines()[0]
            if "lock" in message.lower():
                raise StoreError(f"store {self.path} is in use by another magwatch process; "
                                 f"retry when it has finished ({message})") from None
            raise StoreError(f"cannot open store {self.path}: {message}") from None
        con.execute("SET enable_progress_bar = false")
        return con

    def publish(self) -> None:
        """Make what this writer committed visible to readers (nothing to do for a reader,
        an in-memory store, or inside :func:`one_landing`: its caller publishes once the
        releases have landed, as :meth:`magwatch.Magwatch.load` does)."""
        if self._copy is None or landing(self.con):
            return
        try:
            self.con.execute(f"CHECKPOINT {STORE_ALIAS}")
        except duckdb.Error as exc:        # out of memory, a full disk: nothing is published
            raise StoreError(f"cannot publish store {self.path}: {str(exc).splitlines()[0]}"
                             ) from None
        self._copy.publish()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own (its own transactions) to the same store."""
        cursor = self.con.cursor()
        if self.path is not None:
            cursor.execute(f"USE {STORE_ALIAS}")
        return cursor

    def _release(self) -> None:
        if self._copy is not None:
            self._copy.end()
            self._copy = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _check_version(self) -> None:
        """A reader refuses a store an older magwatch wrote: its tables lack columns the
        queries read (opening it once for writing upgrades it, magwatch.store.migrate)."""
        found = schema_version(self.con)
        if found is not None and found.isdigit() and int(found) < int(SCHEMA_VERSION):
            raise StoreError(f"store {self.path} was written by an older magwatch (schema version "
                             f"{found}, this one reads {SCHEMA_VERSION}); a command that writes to it "
                             f"('magwatch import', 'magwatch load') upgrades it, keeping its rows")

    def _migrate(self) -> None:
        self.con.execute("BEGIN TRANSACTION")
        try:
            add_flags(self.con)             # version 3: before the tables are made and split
            for statement in DDL:
                self.con.execute(statement)
            for fact, key in (("observation", OBSERVATION_KEY), ("claim", CLAIM_KEY)):
                self._split_history(fact, key)
                self.con.execute(history_view(fact))
            self.con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                             [SCHEMA_VERSION])
            self.con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version' AND value <> ?",
                             [SCHEMA_VERSION, SCHEMA_VERSION])
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def _split_history(self, fact: str, key: tuple[str, ...]) -> None:
        """Move a version-1 history table (every row, current ones twice) to the split layout."""
        kind = fetch_one(self.con.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_name = ?", [fact]))
        if kind is None or kind[0] != "BASE TABLE":
            return
        current = key_match("h", "l", (*key, "release_id"))
        self.con.execute(f"INSERT INTO {fact}_superseded SELECT h.* FROM {fact} h "
                         f"WHERE NOT EXISTS (SELECT 1 FROM {fact}_latest l WHERE {current})")
        self.con.execute(f"DROP TABLE {fact}")

    def close(self) -> None:
        try:
            if self._copy is not None:
                self.publish()
        finally:
            self.con.close()
            self._release()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- ingestion -------------------------------------------------------------------------

    def ingest_file(self, path: str | os.PathLike[str], *, source: str = "user",
                    vintage: dt.date | None = None, sheet: str | None = None) -> Release:
        """Validate and ingest a user file in the canonical columns (CSV, Parquet, Excel).

        A refusal names the data row (the n-th non-blank record below the header) and
        where the user sees it: the line of a CSV, the sheet row of a workbook."""
        path = Path(path)
        try:
            return self._ingest_file(path, source=source, vintage=vintage, sheet=sheet)
        except InputError as exc:
            seen = user_line(path, exc.row, sheet) if exc.row else None
            if seen is None:
                raise
            raise type(exc)(f"{exc.reason} ({seen})", file=exc.file, row=exc.row,
                            field=exc.field) from None

    def _ingest_file(self, path: Path, *, source: str, vintage: dt.date | None,
                     sheet: str | None = None) -> Release:
        display = str(path)
        check_input_path(path, display)     # a FIFO or device is refused before it is hashed
        # raises InputError for unreadable files and for a file that grows while it is read
        _, sha = read_unchanged(path, display, lambda: stage_file(self.con, path, "_stage", sheet))
        if sheet is not None:       # one sheet of a workbook is a release of its own
            sha = sheet_key(sha, sheet)
        existing = find_release(self.con, source, sha)
        if existing is not None:
            rows = fetch_one(self.con.execute("SELECT count(*) FROM _stage"))[0]
            return Release(existing, source, path.name, sha, rows, 0, skipped=True)
        normalise(self.con, "_stage", file=display, source=source, vintage=vintage, sha256=sha,
                  source_file=path.name)       # the file's name, as a file source stores it
        try:
            release = commit_release(self.con, source=source, vintage=vintage,
                                     file_name=path.name, file_size=path.stat().st_size,
                                     sha256=sha, observations="_new", sources=[source],
                                     display=display, keys_checked=True)
        finally:
            self.con.execute("DROP VIEW IF EXISTS _new")
            drop_stage(self.con)
        self.publish()
        return release

    def ingest_records(self, observations: pa.Table | None, claims: pa.Table | None = None, *,
                       source: str, file_name: str | None = None, sha256: str | None = None,
                       file_size: int | None = None, vintage: dt.date | None = None,
                       references: dict[str, pa.Table] | None = None,
                       note: str | None = None) -> Release:
        """Ingest canonical records produced by a source module, as one release."""
        if sha256 is not None:
            existing = find_release(self.con, source, sha256)
            if existing is not None:
                n = observations.num_rows if observations is not None else 0
                return Release(existing, source, file_name, sha256, n, 0, skipped=True)
        registered = []
        try:
            obs_rel = claim_rel = None
            if observations is not None:
                self.con.register("_new_obs", observations.select(OBSERVATION_SCHEMA.names)
                                  .cast(OBSERVATION_SCHEMA))
                registered.append("_new_obs")
                obs_rel = "_new_obs"
            if claims is not None:
                self.con.register("_new_claims", claims.select(CLAIM_SCHEMA.names).cast(CLAIM_SCHEMA))
                registered.append("_new_claims")
                claim_rel = "_new_claims"
            sources = {str(s) for t in (observations, claims) if t is not None
                       for s in pc.unique(t["source"]).to_pylist()}
            refs = {}
            for name, table in (references or {}).items():
                rel = f"_ref_{name}"
                self.con.register(rel, table)
                registered.append(rel)
                refs[name] = rel
            release = commit_release(self.con, source=source, vintage=vintage,
                                     file_name=file_name, file_size=file_size, sha256=sha256,
                                     observations=obs_rel, claims=claim_rel, references=refs,
                                     note=note, sources=sorted(sources))
        finally:
            for rel in registered:
                self.con.unregister(rel)
        self.publish()
        return release

    # -- queries ---------------------------------------------------------------------------

    def flows(self, **filters: object) -> pa.Table:
        return queries.flows(self.con, **filters)

    def claims(self, **filters: object) -> pa.Table:
        return queries.claims(self.con, **filters)

    def releases(self) -> pa.Table:
        return queries.releases(self.con)

    def revisions(self, **filters: object) -> pa.Table:
        return queries.revisions(self.con, **filters)

    def reference(self, name: str) -> pa.Table:
        return queries.reference(self.con, name)

    def info(self) -> dict[str, object]:
        return queries.info(self.con, self.path)

    def stamp(self) -> tuple:
        """A value that changes whenever this store's figures or claims change.

        Every write of observations or claims commits a release row in the same
        transaction, so the number of releases, the last release id and the last
        ingestion time identify the store state (one cheap query). Results computed from
        the store can be kept per stamp (``magwatch.analytics.figures`` does); the web
        layer's file stamp (``magwatch.web.access.store_stamp``) also sees other processes.
        """
        return queries.state(self.con)

    def ibis(self):
        """An Ibis backend over this store's connection (analytics read ``observation_latest``)."""
        import ibis

        return ibis.duckdb.from_connection(self.con)
