"""Which tables a store file holds.

A store opened for writing always has every table of :data:`magwatch.store.schema.DDL`
(``Store._migrate`` creates the missing ones). A store written by an older magwatch
and opened read-only may lack the newer ones; readers of those tables ask here first.
"""

from __future__ import annotations

import duckdb

from magwatch.store.schema import fetch_one


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True if the store's main schema holds a table or view called ``name``."""
    return fetch_one(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_name = ?", [name]))[0] > 0
