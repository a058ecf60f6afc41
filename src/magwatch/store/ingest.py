"""Safe ingestion: one transaction per release, add-only history, a materialised latest table.

A release is one ingested batch (a file, a fetched answer, the bundled data).
Within one transaction the store records the release, appends only the rows
whose figures differ from what it already holds for the same key, and updates
``observation_latest`` for exactly those keys. A process killed at any point
leaves the store as it was before the release: DuckDB's write-ahead log
replays a committed transaction whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from magwatch.records import CLAIM_KEY, OBSERVATION_KEY, OBSERVATION_VALUES
from magwatch.store.schema import CLAIM_COLUMNS, OBSERVATION_COLUMNS, fetch_one, key_match


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


def find_release(con: duckdb.DuckDBPyConnection, source: str, sha256: str) -> int | None:
    row = fetch_one(con.execute("SELECT min(release_id) FROM release WHERE source = ? AND sha256 = ?",
                      [source, sha256]))
    return row[0] if row else None


def _append_changed(con: duckdb.DuckDBPyConnection, *, new: str, table: str, columns: list[str],
                    key: tuple[str, ...], values: tuple[str, ...], release_id: int) -> int:
    """Append rows of ``new`` that change the latest figures; refresh ``{table}_latest``."""
    latest = f"{table}_latest"
    same_values = " AND ".join(f"l.{v} IS NOT DISTINCT FROM n.{v}" for v in values)
    select = ", ".join(f"n.{c}" for c in columns if c != "release_id")
    con.execute(
        f"INSERT INTO {table} SELECT {select}, {release_id} AS release_id FROM {new} n "
        f"WHERE NOT EXISTS (SELECT 1 FROM {latest} l WHERE {key_match('l', 'n', key)} "
        f"AND {same_values})")
    added = fetch_one(con.execute(f"SELECT count(*) FROM {table} WHERE release_id = ?", [release_id]))[0]
    if added:
        changed = f"(SELECT * FROM {table} WHERE release_id = {release_id})"
        # A newer-or-equal vintage replaces the latest row; an older one (history
        # filled in late) stays in the history only.
        con.execute(f"DELETE FROM {latest} l USING {changed} c "
                    f"WHERE {key_match('l', 'c', key)} AND c.vintage >= l.vintage")
        con.execute(f"INSERT INTO {latest} SELECT c.* FROM {changed} c WHERE NOT EXISTS "
                    f"(SELECT 1 FROM {latest} l WHERE {key_match('l', 'c', key)})")
    return added


def commit_release(con: duckdb.DuckDBPyConnection, *, source: str, vintage: dt.date | None,
                   file_name: str | None, file_size: int | None, sha256: str | None,
                   observations: str | None, claims: str | None = None,
                   references: dict[str, str] | None = None, note: str | None = None) -> Release:
    """Record one release from staged relations, all in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        release_id = fetch_one(con.execute("SELECT coalesce(max(release_id), 0) + 1 FROM release"))[0]
        rows_read = claims_read = rows_added = claims_added = 0
        if observations:
            rows_read = fetch_one(con.execute(f"SELECT count(*) FROM {observations}"))[0]
            rows_added = _append_changed(con, new=observations, table="observation",
                                         columns=OBSERVATION_COLUMNS, key=OBSERVATION_KEY,
                                         values=OBSERVATION_VALUES, release_id=release_id)
        if claims:
            claims_read = fetch_one(con.execute(f"SELECT count(*) FROM {claims}"))[0]
            claims_added = _append_changed(con, new=claims, table="claim", columns=CLAIM_COLUMNS,
                                           key=CLAIM_KEY, values=("value",), release_id=release_id)
        for name, relation in (references or {}).items():
            con.execute("DELETE FROM reference WHERE name = ?", [name])
            con.execute(f"INSERT INTO reference SELECT ?, source_row, record, {release_id} "
                        f"FROM {relation}", [name])
        con.execute(
            "INSERT INTO release VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [release_id, source, vintage, file_name, file_size, sha256, rows_read, rows_added,
             claims_read, claims_added, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), note])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return Release(release_id, source, file_name, sha256, rows_read, rows_added, claims_read,
                   claims_added)
