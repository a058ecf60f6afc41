"""Safe ingestion: one transaction per release, add-only history, a materialised latest table.

A release is one ingested batch (a file, a fetched answer, the bundled data).
Within one transaction the store records the release and adds only the rows
whose figures differ from what it already holds for the same key: each row is
written once, to ``observation_latest`` when it is the current figure for its
key, and a row it replaces moves to ``observation_superseded``. The history
(the view ``observation``) therefore only ever gains rows. A process killed at any point
leaves the store as it was before the release: DuckDB's write-ahead log
replays a committed transaction whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb

from magwatch.errors import InputError
from magwatch.records import CLAIM_KEY, OBSERVATION_KEY, OBSERVATION_VALUES
from magwatch.store.normalise import check_duplicates
from magwatch.store.schema import CLAIM_COLUMNS, OBSERVATION_COLUMNS, fetch_one, key_match


T = TypeVar("T")


@dataclass(frozen=True)
class Release:
    """What one ingest did."""

    release_id: int | None
    source: str
    file_name: str | None
    sha256: str | None
    rows_read: int
    rows_added: int
    claims_read: int = 0
    claims_added: int = 0
    skipped: bool = False          # the same file was ingested before: nothing changed

    def describe(self) -> str:
        if self.skipped:
            return f"{self.file_name}: already ingested (release {self.release_id}); nothing changed"
        text = (f"release {self.release_id} ({self.source}): {self.rows_read} rows read, "
                f"{self.rows_added} added")
        if self.claims_read:
            text += f"; {self.claims_read} reported claims read, {self.claims_added} added"
        return text


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def read_unchanged(path: Path, display: str, read: Callable[[], T]) -> tuple[T, str]:
    """Run ``read`` on ``path`` and return its result with the file's SHA-256, the hash of
    exactly the bytes read: the file is hashed before and after, and a file that changed
    in between (still being written) is refused, so a release key never names rows missing."""
    before = file_sha256(path)
    result = read()
    if file_sha256(path) != before:
        raise InputError("file changed while it was read (is it still being written?); "
                         "import it again when it is complete", file=display)
    return result, before


def find_release(con: duckdb.DuckDBPyConnection, source: str, sha256: str) -> int | None:
    row = fetch_one(con.execute("SELECT min(release_id) FROM release WHERE source = ? AND sha256 = ?",
                      [source, sha256]))
    return row[0] if row else None


def _inserted(cursor) -> int:
    return fetch_one(cursor)[0]


def _append_changed(con: duckdb.DuckDBPyConnection, *, new: str, fact: str, columns: list[str],
                    key: tuple[str, ...], values: tuple[str, ...], release_id: int,
                    sources: Sequence[str] | None, display: str, keys_checked: bool) -> int:
    """Add the rows of ``new`` that change what ``fact`` holds; return how many.

    A row whose key is new becomes current (``{fact}_latest``). A row that
    revises a current one replaces it when its vintage is the same or newer
    (the replaced row moves to ``{fact}_superseded``); an older vintage (history
    filled in late) goes to ``{fact}_superseded`` only. A row equal to the
    current one adds nothing. When the store holds no rows of the release's
    sources, every row is new and each is written once, straight to the latest
    table, and the file is checked for duplicate keys there (unless ``keys_checked``:
    the caller found every key of ``new`` distinct already).
    """
    latest, superseded = f"{fact}_latest", f"{fact}_superseded"
    names = [c for c in columns if c != "release_id"]
    listed = ", ".join(f"n.{c}" for c in names)
    overlap = True
    if sources is not None:
        marks = ", ".join("?" for _ in sources) or "NULL"
        overlap = fetch_one(con.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {latest} WHERE source IN ({marks}) LIMIT 1)",
            list(sources)))[0] > 0
    if not overlap:
        added = _inserted(con.execute(f"INSERT INTO {latest} SELECT {listed}, {release_id} "
                                      f"FROM {new} n"))
        if not keys_checked:
            check_duplicates(con, latest, key, display, where=f"release_id = {release_id}")
        return added
    if not keys_checked:   # every row of the file counts, also those equal to what is held
        check_duplicates(con, new, key, display)
    differs = " OR ".join(f"n.{v} IS DISTINCT FROM l.{v}" for v in values)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _revised AS SELECT {listed}, l.vintage AS _held "
                f"FROM {new} n JOIN {latest} l ON {key_match('n', 'l', key)} WHERE {differs}")
    # (_revised is made inside the release's transaction: a rollback removes it too.)
    plain = ", ".join(names)
    con.execute(f"INSERT INTO {superseded} SELECT l.* FROM {latest} l WHERE EXISTS "
                f"(SELECT 1 FROM _revised r WHERE {key_match('l', 'r', key)} "
                f"AND r.vintage >= r._held)")
    con.execute(f"DELETE FROM {latest} l USING _revised r "
                f"WHERE {key_match('l', 'r', key)} AND r.vintage >= r._held")
    added = _inserted(con.execute(f"INSERT INTO {latest} SELECT {plain}, {release_id} "
                                  f"FROM _revised WHERE vintage >= _held"))
    added += _inserted(con.execute(f"INSERT INTO {superseded} SELECT {plain}, {release_id} "
                                   f"FROM _revised WHERE vintage < _held"))
    con.execute("DROP TABLE _revised")
    added += _inserted(con.execute(
        f"INSERT INTO {latest} SELECT {listed}, {release_id} FROM {new} n WHERE NOT EXISTS "
        f"(SELECT 1 FROM {latest} l WHERE {key_match('l', 'n', key)})"))
    return added


def commit_release(con: duckdb.DuckDBPyConnection, *, source: str, vintage: dt.date | None,
                   file_name: str | None, file_size: int | None, sha256: str | None,
                   observations: str | None, claims: str | None = None,
                   references: dict[str, str] | None = None, note: str | None = None,
                   sources: Sequence[str] | None = None, display: str | None = None,
                   keys_checked: bool = False, transaction: bool = True) -> Release:
    """Record one release from staged relations, all in one transaction.

    ``sources``, when given, are all the sources the staged rows carry; ``display``
    names the input in error messages (default: ``file_name``, else ``source``);
    ``keys_checked`` says the caller already refused duplicate keys among the observations.
    ``transaction=False`` writes inside the caller's open transaction (several releases
    committed as one, as an export folder is); the caller then commits and calls
    :func:`release_committed`.
    """
    display = display or file_name or source
    if transaction:
        con.execute("BEGIN TRANSACTION")
    try:
        release_id = fetch_one(con.execute("SELECT coalesce(max(release_id), 0) + 1 FROM release"))[0]
        rows_read = claims_read = rows_added = claims_added = 0
        if observations:
            rows_read = fetch_one(con.execute(f"SELECT count(*) FROM {observations}"))[0]
            rows_added = _append_changed(con, new=observations, fact="observation",
                                         columns=OBSERVATION_COLUMNS, key=OBSERVATION_KEY,
                                         values=OBSERVATION_VALUES, release_id=release_id,
                                         sources=sources, display=display,
                                         keys_checked=keys_checked)
        if claims:
            claims_read = fetch_one(con.execute(f"SELECT count(*) FROM {claims}"))[0]
            claims_added = _append_changed(con, new=claims, fact="claim", columns=CLAIM_COLUMNS,
                                           key=CLAIM_KEY, values=("value",), release_id=release_id,
                                           sources=sources, display=display, keys_checked=False)
        for name, relation in (references or {}).items():
            con.execute("DELETE FROM reference WHERE name = ?", [name])
            con.execute(f"INSERT INTO reference SELECT ?, source_row, record, {release_id} "
                        f"FROM {relation}", [name])
        con.execute(
            "INSERT INTO release VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [release_id, source, vintage, file_name, file_size, sha256, rows_read, rows_added,
             claims_read, claims_added, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), note])
        if transaction:
            con.execute("COMMIT")
    except BaseException:
        if transaction:
            con.execute("ROLLBACK")
        raise
    if transaction:
        _committed(con, release_id)
    return Release(release_id, source, file_name, sha256, rows_read, rows_added, claims_read,
                   claims_added)


#: What runs after every committed release: ``hook(con, release_id, first)``. The layers
#: above register here (the analytics' kept answers, magwatch.analytics.kept), so the store
#: calls them without importing them.
AFTER_RELEASE: list[Callable[[duckdb.DuckDBPyConnection, int, int | None], object]] = []


def after_each_release(hook: Callable[[duckdb.DuckDBPyConnection, int, int | None], object]):
    """Register ``hook`` to run after every committed release (once, however often asked)."""
    if hook not in AFTER_RELEASE:
        AFTER_RELEASE.append(hook)
    return hook


def release_committed(con: duckdb.DuckDBPyConnection, release_id: int,
                      first: int | None = None) -> None:
    """What follows every committed release (``release_id`` the last one committed; ``first``
    the first of several committed one after another, as an export folder's)."""
    for hook in AFTER_RELEASE:
        hook(con, release_id, first)        # answers ready when the figures land


#: Connections inside :func:`one_landing`, with the releases committed there so far.
_landing: dict[int, list[int]] = {}


def landing(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``con`` is inside :func:`one_landing` (its releases land at the end)."""
    return id(con) in _landing


def _committed(con: duckdb.DuckDBPyConnection, release_id: int) -> None:
    if id(con) in _landing:
        _landing[id(con)].append(release_id)
    else:
        release_committed(con, release_id)


@contextmanager
def one_landing(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Releases committed inside land once, at the end: what follows a release
    (:func:`release_committed`) runs one time for all of them, not once each. The bundled
    load commits nine releases in a row; nobody reads between them."""
    if id(con) in _landing:             # already inside one: the outer one lands them
        yield
        return
    _landing[id(con)] = []
    try:
        yield
    finally:
        ids = _landing.pop(id(con))
        if ids:
            release_committed(con, ids[-1], ids[0])
