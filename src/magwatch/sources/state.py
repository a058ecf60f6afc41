"""What the connectors fetched: per-batch fetch state and the configured queries.

Two small tables beside the store's own (created by :func:`ensure_tables`, which every
fetch calls first; the DDL belongs in ``store/schema.py`` eventually):

- ``source_fetch``: one row per (source, request key) with the batch's status
  (``done`` or ``empty``), the release marker it was fetched at, the digest of the raw
  answer and the release it landed as. A re-run skips a ``done`` batch whose marker is
  unchanged (or, for sources without a marker, whose months are older than the
  source's revision window), so an interrupted fetch resumes where it stopped.
- ``source_query``: every query a user fetched, with its base URL. ``magwatch refresh``
  runs these again: they are the configured sources.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import duckdb

from magwatch.sources import Query
from magwatch.store.schema import fetch_one

DDL = [
    """CREATE TABLE IF NOT EXISTS source_fetch (
        source VARCHAR NOT NULL,
        request_key VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        marker VARCHAR,
        sha256 VARCHAR,
        release_id BIGINT,
        rows_read BIGINT,
        last_period DATE,
        url VARCHAR,
        message VARCHAR,
        fetched_at TIMESTAMP NOT NULL,
        PRIMARY KEY (source, request_key)
    )""",
    """CREATE TABLE IF NOT EXISTS source_query (
        source VARCHAR NOT NULL,
        query JSON NOT NULL,
        base_url VARCHAR,
        first_at TIMESTAMP NOT NULL,
        last_at TIMESTAMP NOT NULL,
        PRIMARY KEY (source, query)
    )""",
]


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for statement in DDL:
        con.execute(statement)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class BatchState:
    status: str
    marker: str | None
    sha256: str | None
    release_id: int | None
    last_period: dt.date | None


def batch_state(con: duckdb.DuckDBPyConnection, source: str, key: str) -> BatchState | None:
    row = fetch_one(con.execute(
        "SELECT status, marker, sha256, release_id, last_period FROM source_fetch "
        "WHERE source = ? AND request_key = ?", [source, key]))
    return BatchState(*row) if row else None


def record_batch(con: duckdb.DuckDBPyConnection, source: str, key: str, *, status: str,
                 marker: str | None, sha256: str | None, release_id: int | None,
                 rows_read: int | None, last_period: dt.date | None, url: str | None,
                 message: str | None) -> None:
    con.execute("INSERT OR REPLACE INTO source_fetch VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [source, key, status, marker, sha256, release_id, rows_read, last_period, url,
                 message, _now()])
    con.fetchall()


def remember_query(con: duckdb.DuckDBPyConnection, source: str, query: Query,
                   base_url: str | None) -> None:
    text = json.dumps(query.to_json(), sort_keys=True)
    now = _now()
    existing = fetch_one(con.execute("SELECT 1 FROM source_query WHERE source = ? AND query = ?",
                                     [source, text]))
    if existing:
        con.execute("UPDATE source_query SET last_at = ?, base_url = ? WHERE source = ? AND query = ?",
                    [now, base_url, source, text])
    else:
        con.execute("INSERT INTO source_query VALUES (?, ?, ?, ?, ?)", [source, text, base_url, now, now])
    con.fetchall()


def configured_queries(con: duckdb.DuckDBPyConnection) -> list[tuple[str, Query, str | None]]:
    rows = con.execute("SELECT source, query, base_url FROM source_query ORDER BY first_at").fetchall()
    return [(source, Query.from_json(json.loads(text)), base_url) for source, text, base_url in rows]


def status(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, object]]:
    """Per source: batches done and empty, last fetch time, last release landed."""
    rows = con.execute(
        "SELECT source, count(*) FILTER (WHERE status = 'done'), count(*) FILTER (WHERE status = 'empty'), "
        "max(fetched_at), max(release_id), max(last_period) FILTER (WHERE status = 'done') "
        "FROM source_fetch GROUP BY source").fetchall()
    return {r[0]: {"batches_done": r[1], "batches_empty": r[2], "last_fetched": r[3],
                   "last_release": r[4], "last_period": r[5]} for r in rows}
