"""Backing up and restoring the store: an exact copy of every table, written atomically.

A backup is a DuckDB file holding the same tables, constraints and rows as the store,
made with ``COPY FROM DATABASE`` on a read-only connection to the store as last published
(a writer running meanwhile does not stop it; magwatch.store.writer). A restore checks
the backup, takes the store's writer lock (refusing while another process writes), and
swaps the file in with ``os.replace``: a reader or a crash sees the old store or the
restored one, never a half-written file.

Both sides are compared with a content digest (row count and the sum of row hashes
per table), so "exact" is checked, not assumed.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from magwatch.errors import InputError, ParameterError, StoreError
from magwatch.store.atomic import fsync_dir as _fsync_dir, fsync_file as _fsync_file
from magwatch.store.atomic import remove as _remove, remove_leftovers, temp_beside as _temp_beside
from magwatch.store.core import Store
from magwatch.store.writer import WriterLock
from magwatch.store.schema import fetch_one

REQUIRED_TABLES = ("meta", "release", "observation_latest", "claim_latest", "reference")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def content_digest(con: duckdb.DuckDBPyConnection, database: str | None = None) -> dict[str, tuple]:
    """Per table of ``database`` (default: the connection's own): (rows, sum of row hashes)."""
    if database is None:
        database = fetch_one(con.execute("SELECT current_database()"))[0]
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' "
        "AND NOT temporary ORDER BY table_name", [database]).fetchall()]
    digest = {}
    for table in tables:
        ref = f"{_quote(database)}.main.{_quote(table)}"
        rows, hashes = fetch_one(con.execute(
            f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR FROM {ref} AS t"))
        digest[table] = (rows, hashes)
    return digest


def _failed(what: str, target: Path, exc: Exception) -> StoreError:
    """One line for a DuckDB or file-system error of a backup or a restore."""
    if isinstance(exc, OSError):
        return StoreError(f"{what} {target}: {exc.strerror or exc}")
    return StoreError(f"{what} {target}: {str(exc).splitlines()[0]}")


def _put_in_place(what: str, target: Path, write) -> None:
    """``write(temp)`` a file beside ``target`` and rename it into place, flushed: a crash
    leaves the old target or the new one. Partial copies a killed earlier run left are
    removed first (atomic.remove_leftovers), the temporary file always."""
    remove_leftovers(target)
    temp = _temp_beside(target)
    _remove(temp)
    try:
        write(temp)
        os.replace(temp, target)
        _fsync_dir(target.parent)
    except (duckdb.Error, OSError) as exc:
        raise _failed(what, target, exc) from None
    finally:
        _remove(temp)


def backup(store: Store, path: str | os.PathLike[str], *, overwrite: bool = False) -> dict:
    """Write an exact copy of ``store`` to ``path`` (a new DuckDB file); returns what was copied.

    The copy is written beside ``path`` under a temporary name, checked against the store
    table by table, then moved into place; an existing ``path`` is refused unless
    ``overwrite``.
    """
    target = Path(path).expanduser()
    if store.path is not None and target.resolve() == store.path.resolve():
        raise ParameterError("path", f"{target} is the store itself; choose another file")
    if target.is_dir():
        raise ParameterError("path", f"{target} is a folder; give a file name")
    if target.exists() and not overwrite:
        raise ParameterError("path", f"{target} exists; pass overwrite (--overwrite) to replace it")
    if not target.parent.is_dir():
        raise ParameterError("path", f"folder {target.parent} does not exist")
    con = store.con
    source_db = fetch_one(con.execute("SELECT current_database()"))[0]
    alias = "_magwatch_backup"
    if not store.read_only:
        store.publish()                 # checkpointed: the copy is what readers see
    expected: dict = {}

    def write(temp: Path) -> None:
        con.execute(f"ATTACH ? AS {alias} (READ_WRITE)", [str(temp)])
        try:
            con.execute(f"COPY FROM DATABASE {_quote(source_db)} TO {alias}")
            expected.update(content_digest(con, source_db))
            written = content_digest(con, alias)
        finally:
            con.execute(f"DETACH {alias}")
        if written != expected:
            raise StoreError(f"backup {target}: the copy does not match the store "
                             f"(tables {sorted(k for k in expected if written.get(k) != expected[k])})")
        _fsync_file(temp)

    _put_in_place("backup", target, write)
    return {"path": str(target), "bytes": target.stat().st_size,
            "tables": {name: rows for name, (rows, _) in expected.items()}}


def read_backup(path: str | os.PathLike[str]) -> dict[str, tuple]:
    """Check that ``path`` is a magwatch store file and return its content digest."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError("no such backup file", file=str(path))
    try:
        con = duckdb.connect(":memory:")
    except duckdb.Error as exc:  # pragma: no cover - in-memory connect does not fail
        raise StoreError(str(exc).splitlines()[0]) from None
    try:
        try:
            con.execute("ATTACH ? AS _candidate (READ_ONLY)", [str(path)])
        except duckdb.Error as exc:
            raise InputError(f"not a readable magwatch backup ({str(exc).splitlines()[0]})",
                             file=str(path)) from None
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = '_candidate'").fetchall()}
        missing = [t for t in REQUIRED_TABLES if t not in tables]
        if missing:
            raise InputError(f"not a magwatch backup: table(s) {', '.join(missing)} missing",
                             file=str(path))
        try:
            version = fetch_one(con.execute(
                "SELECT value FROM _candidate.main.meta WHERE key = 'schema_version'"))
            digest = content_digest(con, "_candidate")
        except duckdb.Error as exc:
            raise InputError(f"damaged backup, a table cannot be read ({str(exc).splitlines()[0]})",
                             file=str(path)) from None
        if version is None:
            raise InputError("not a magwatch backup: no schema_version in meta", file=str(path))
        return digest
    finally:
        con.close()


def _copy_checked(source: Path, temp: Path, target: Path, expected: dict) -> None:
    """Copy the backup to ``temp``, flushed, and check it holds what the backup holds."""
    with open(source, "rb") as src, open(temp, "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    check = duckdb.connect(":memory:")
    try:
        check.execute("ATTACH ? AS _restored (READ_ONLY)", [str(temp)])
        copied = content_digest(check, "_restored")
    finally:
        check.close()
    if copied != expected:
        raise StoreError(f"restore {target}: the copied file does not match the backup {source}")


def restore(path: str | os.PathLike[str], db: str | os.PathLike[str]) -> dict:
    """Replace the store file ``db`` with the backup at ``path``, atomically.

    Refused (StoreError "in use") while another process writes to the store; a reader
    keeps the file it opened and sees the restored store when it next opens it. The store
    is left as it was if anything fails before the final rename.
    """
    source = Path(path).expanduser()
    target = Path(db).expanduser()
    if source.exists() and target.exists() and source.resolve() == target.resolve():
        raise ParameterError("path", f"{source} is the store itself")
    expected = read_backup(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    with WriterLock(target):           # no writer meanwhile (magwatch.store.writer)
        def write(temp: Path) -> None:
            _copy_checked(source, temp, target, expected)
            wal = target.with_name(target.name + ".wal")
            if wal.exists():           # a log of the old file must not be replayed on the new
                wal.unlink()

        _put_in_place("restore", target, write)
    return {"path": str(target), "from": str(source),
            "tables": {name: rows for name, (rows, _) in expected.items()}}
