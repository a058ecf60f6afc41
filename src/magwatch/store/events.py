"""The stored event registry: the ``event`` table (DDL in :mod:`magwatch.store.schema`).

What an event is, how it is validated and what it touches is
:mod:`magwatch.events.registry`'s business; this module only writes and reads rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from magwatch.records import EVENT_SCHEMA
from magwatch.store.catalog import has_table

#: The stored columns of an event, in table order (``added_at`` is set on insert).
EVENT_COLUMNS = tuple(EVENT_SCHEMA.names)

#: Two events with one id are the same event when these agree (the scope may be refined).
IDENTITY_COLUMNS = ("event_date", "actor", "event_type", "summary", "source_url")


@dataclass(frozen=True)
class AddedEvents:
    """What :func:`add_events` did."""

    added: int
    skipped: int                      # ids already stored with the same content
    conflicts: tuple[str, ...] = ()   # ids stored with other content; then nothing was written


def add_events(con: duckdb.DuckDBPyConnection, events: pa.Table) -> AddedEvents:
    """Add events (columns :data:`EVENT_COLUMNS`) in one transaction.

    An id already stored with the same :data:`IDENTITY_COLUMNS` is skipped. If any id is
    stored with other content, nothing is written and the conflicting ids are returned
    in the order of ``events``.
    """
    rows = events.select(["event_id", *IDENTITY_COLUMNS]).to_pylist()
    con.execute("BEGIN TRANSACTION")
    try:
        held = {r[0]: tuple(r[1:]) for r in con.execute(
            f"SELECT event_id, {', '.join(IDENTITY_COLUMNS)} FROM event "
            "WHERE event_id IN (SELECT unnest(?))", [[r["event_id"] for r in rows]]).fetchall()}
        conflicts = tuple(r["event_id"] for r in rows if r["event_id"] in held
                          and held[r["event_id"]] != tuple(r[c] for c in IDENTITY_COLUMNS))
        if conflicts:
            con.execute("ROLLBACK")
            return AddedEvents(0, 0, conflicts)
        new = [i for i, r in enumerate(rows) if r["event_id"] not in held]
        if new:
            con.register("_new_events", events.take(new).select(list(EVENT_COLUMNS)))
            try:
                con.execute(f"INSERT INTO event ({', '.join(EVENT_COLUMNS)}, added_at) "
                            f"SELECT {', '.join(EVENT_COLUMNS)}, now()::TIMESTAMP FROM _new_events")
            finally:
                con.unregister("_new_events")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return AddedEvents(len(new), len(rows) - len(new))


def events(con: duckdb.DuckDBPyConnection) -> pa.Table | None:
    """Every stored event (columns :data:`EVENT_COLUMNS`) by date, then id.

    None when the store has no ``event`` table: one written by an older magwatch,
    opened read-only.
    """
    if not has_table(con, "event"):
        return None
    return con.sql(f"SELECT {', '.join(EVENT_COLUMNS)} FROM event "
                   "ORDER BY event_date, event_id").to_arrow_table()
