"""The store's event and fetch-log tables: created with the schema, readable on older stores."""

from __future__ import annotations

import datetime as dt
import shutil

import pyarrow as pa

import magwatch
from magwatch.events.registry import EVENT_SCHEMA, validate_event
from magwatch.store import Store, events as event_store, fetch_log
from magwatch.store.catalog import has_table

NEW_TABLES = ("event", "source_fetch", "source_query")


def _event(**fields):
    base = dict(date="2026-02-01", actor="Test ministry", event_type="tariff",
                summary="duty on magnets", source_url="https://example.org/a")
    return validate_event({**base, **fields})


def _table(*rows):
    return pa.Table.from_pylist(list(rows), schema=EVENT_SCHEMA)


def test_a_new_store_has_every_table():
    with Store() as store:
        assert all(has_table(store.con, t) for t in NEW_TABLES)
        assert event_store.events(store.con).num_rows == 0
        assert fetch_log.configured_queries(store.con) == []


def test_add_events_skips_same_content_and_writes_nothing_on_a_conflict():
    with Store() as store:
        first = _event(event_id="t-1", partners="USA")
        assert event_store.add_events(store.con, _table(first)) == event_store.AddedEvents(1, 0)
        # same id and content, refined scope: the same event, skipped
        again = event_store.add_events(store.con, _table(_event(event_id="t-1", partners="JPN")))
        assert (again.added, again.skipped, again.conflicts) == (0, 1, ())
        # a new event beside one whose id is held with other content: nothing is written
        result = event_store.add_events(store.con, _table(
            _event(event_id="t-2"), _event(event_id="t-3"),
            _event(event_id="t-1", summary="other text")))
        assert result.conflicts == ("t-1",) and result.added == 0
        stored = event_store.events(store.con).to_pylist()
        assert [r["event_id"] for r in stored] == ["t-1"]
        assert stored[0]["partners"] == ["USA"] and stored[0]["event_date"] == dt.date(2026, 2, 1)


def test_fetch_log_records_batches_queries_and_sums_them_per_source():
    with Store() as store:
        con = store.con
        assert fetch_log.batch_state(con, "comtrade", "k1") is None
        common = dict(sha256=None, release_id=None, rows_read=0, url=None, message=None)
        fetch_log.record_batch(con, "comtrade", "k1", status="empty", marker="m1",
                               last_period=dt.date(2025, 6, 1), **common)
        fetch_log.record_batch(con, "comtrade", "k1", status="done", marker="m2", sha256="ab",
                               release_id=None, rows_read=3, last_period=dt.date(2025, 5, 1),
                               url="http://127.0.0.1/x", message=None)
        fetch_log.record_batch(con, "comtrade", "k2", status="empty", marker=None,
                               last_period=dt.date(2025, 7, 1), **common)
        assert fetch_log.batch_state(con, "comtrade", "k1") == fetch_log.BatchState(
            "done", "m2", "ab", None, dt.date(2025, 5, 1))
        query = {"reporters": ["CHN"], "partners": [], "flows": ["X"], "freq": "M"}
        fetch_log.remember_query(con, "comtrade", query, None)
        fetch_log.remember_query(con, "comtrade", dict(reversed(query.items())), "http://127.0.0.1:1")
        assert fetch_log.configured_queries(con) == [("comtrade", query, "http://127.0.0.1:1")]
        summary = fetch_log.source_summary(con)["comtrade"]
        assert (summary["batches_done"], summary["batches_empty"]) == (1, 1)
        assert summary["last_period"] == dt.date(2025, 5, 1)       # done batches only
        assert summary["configured_queries"] == 1 and summary["last_release"] is None
        assert isinstance(summary["last_fetched"], dt.datetime)


def test_a_store_made_before_these_tables_reads_read_only_and_gains_them(bundled_db, tmp_path):
    db = tmp_path / "old.duckdb"
    shutil.copy(bundled_db, db)
    with Store(db) as store:                       # make it look like an older store
        for table in NEW_TABLES:
            store.con.execute(f"DROP TABLE {table}")
    with magwatch.open(db, read_only=True) as ro:
        con = ro.store.con
        assert not any(has_table(con, t) for t in NEW_TABLES)
        assert event_store.events(con) is None and fetch_log.configured_queries(con) == []
        assert fetch_log.source_summary(con)["press"]["batches_done"] == 0
        bundled = ro.events().to_pylist()          # the bundled timeline, read from the reference
        assert "ev-2025-04-04" in {r["event_id"] for r in bundled}
        sources = {r["source"]: r for r in ro.sources().to_pylist()}
        assert sources["comtrade"]["configured_queries"] == 0
    with magwatch.open(db) as rw:                  # opening for writing adds the tables
        assert all(has_table(rw.store.con, t) for t in NEW_TABLES)
        assert rw.events().to_pylist() == bundled
        assert event_store.events(rw.store.con).num_rows == len(bundled)   # seeded


def test_the_event_table_has_the_event_schemas_columns_in_order(tmp_path):
    """One declaration of an event's columns (records.EVENT_SCHEMA); the table's DDL agrees."""
    with Store(tmp_path / "s.duckdb") as store:
        columns = [r[0] for r in store.con.execute("DESCRIBE event").fetchall()]
    assert columns == [*EVENT_SCHEMA.names, "added_at"]
