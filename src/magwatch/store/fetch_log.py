"""What the source connectors fetched: the fetch log and the configured queries.

Two tables (DDL in :mod:`magwatch.store.schema`):

- ``source_fetch``: one row per (source, request key) with the batch's status
  (``done`` or ``empty``), the release marker it was fetched at, the digest of the raw
  answer and the release it landed as. :mod:`magwatch.sources.run` skips a ``done``
  batch whose marker is unchanged (or, for sources without a marker, whose months are
  older than the source's revision window), so an interrupted fetch resumes where it
  stopped.
- ``source_query``: every query a user fetched, with its base URL. ``magwatch refresh``
  runs these again: they are the configured sources.

A query is stored as its JSON form (:meth:`magwatch.sources.Query.to_json`), with
sorted keys, so one query is one row however its dict was built.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import duckdb

from magwatch.store.catalog import has_table
from magwatch.store.schema import fetch_one


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class BatchState:
    """How one batch was last fetched."""

    status: str                       # "done" or "empty"
    marker: str | None
    sha256: str | None
    release_id: int | None
    last_period: dt.date | None


def batch_state(con: duckdb.DuckDBPyConnection, source: str, key: str) -> BatchState | None:
    """The last fetch of batch ``key`` of ``source``; None if it was never fetched."""
    row = fetch_one(con.execute(
        "SELECT status, marker, sha256, release_id, last_period FROM source_fetch "
        "WHERE source = ? AND request_key = ?", [source, key]))
    return BatchState(*row) if row else None


def record_batch(con: duckdb.DuckDBPyConnection, source: str, key: str, *, status: str,
                 marker: str | None, sha256: str | None, release_id: int | None,
                 rows_read: int | None, last_period: dt.date | None, url: str | None,
                 message: str | None) -> None:
    """Record (or replace) the fetch state of one batch, stamped with the current UTC time."""
    con.execute("INSERT OR REPLACE INTO source_fetch VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [source, key, status, marker, sha256, release_id, rows_read, last_period, url,
                 message, _now()])
    con.fetchall()


def remember_query(con: duckdb.DuckDBPyConnection, source: str, query: dict[str, Any],
                   base_url: str | None) -> None:
    """Add a query to the configured ones, or note that it was fetched again (and its base URL)."""
    text = json.dumps(query, sort_keys=True)
    now = _now()
    existing = fetch_one(con.execute("SELECT 1 FROM source_query WHERE source = ? AND query = ?",
                                     [source, text]))
    if existing:
        con.execute("UPDATE source_query SET last_at = ?, base_url = ? WHERE source = ? AND query = ?",
                    [now, base_url, source, text])
    else:
        con.execute("INSERT INTO source_query VALUES (?, ?, ?, ?, ?)", [source, text, base_url, now, now])
    con.fetchall()


def configured_queries(con: duckdb.DuckDBPyConnection) -> list[tuple[str, dict[str, Any], str | None]]:
    """Every query fetched before, first fetched first: (source, query as JSON dict, base URL)."""
    if not has_table(con, "source_query"):
        return []
    rows = con.execute("SELECT source, query, base_url FROM source_query ORDER BY first_at").fetchall()
    return [(source, json.loads(text), base_url) for source, text, base_url in rows]


def source_summary(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, object]]:
    """Per source: batches done and empty, last fetch time, last period fetched,
    configured queries and the last release it landed (fetched or imported).

    Sources absent from all three tables are absent here; a store written by an older
    magwatch and opened read-only may lack the fetch tables, which then count as empty.
    """
    out: dict[str, dict[str, object]] = {}

    def entry(source: str) -> dict[str, object]:
        return out.setdefault(source, {"batches_done": 0, "batches_empty": 0, "last_fetched": None,
                                       "last_period": None, "configured_queries": 0,
                                       "last_release": None})

    if has_table(con, "source_fetch"):
        for source, done, empty, fetched, period in con.execute(
                "SELECT source, count(*) FILTER (WHERE status = 'done'), "
                "count(*) FILTER (WHERE status = 'empty'), max(fetched_at), "
                "max(last_period) FILTER (WHERE status = 'done') "
                "FROM source_fetch GROUP BY source").fetchall():
            entry(source).update(batches_done=done, batches_empty=empty, last_fetched=fetched,
                                 last_period=period)
    if has_table(con, "source_query"):
        for source, n in con.execute(
                "SELECT source, count(*) FROM source_query GROUP BY source").fetchall():
            entry(source)["configured_queries"] = n
    for source, release_id in con.execute(
            "SELECT source, max(release_id) FROM release GROUP BY source").fetchall():
        entry(source)["last_release"] = release_id
    return out
