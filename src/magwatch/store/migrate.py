"""Upgrades of a store written by an older magwatch, run when it is opened for writing.

Version 3 gives every observation a ``flag`` (one of :data:`magwatch.records.FLAGS`) and the
source's own flag text, ``flag_raw``, after ``is_confidential``. Rows are added by column
position, so an older observation table is rebuilt in the new column order, every row kept:
a row marked ``is_confidential`` gets the flag ``confidential``, one marked ``is_estimated``
the flag ``estimated``, the others none.
"""

from __future__ import annotations

import duckdb

from magwatch.store.schema import OBSERVATION_COLUMNS, OBSERVATION_DDL_COLUMNS, fetch_one

#: What a version-2 row holds in each new column.
_FILLED = {
    "flag": "CASE WHEN is_confidential THEN 'confidential' WHEN is_estimated THEN 'estimated' END",
    "flag_raw": "CAST(NULL AS VARCHAR)",
}


def _base_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str] | None:
    """The columns of base table ``table`` in the store's main schema, None if there is none."""
    kind = fetch_one(con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_name = ?", [table]))
    if kind is None or kind[0] != "BASE TABLE":
        return None
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' "
        "AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()]


def add_flags(con: duckdb.DuckDBPyConnection) -> int:
    """Rebuild every observation table without the flag columns (``observation`` of version
    1 too) in the version-3 layout; the number of tables rebuilt. Runs inside the caller's
    transaction, before the history view is made again."""
    rebuilt = 0
    for table in ("observation", "observation_latest", "observation_superseded"):
        columns = _base_columns(con, table)
        if columns is None or "flag" in columns:
            continue
        con.execute("DROP VIEW IF EXISTS main.observation")
        select = ", ".join(_FILLED.get(c, c) for c in OBSERVATION_COLUMNS)
        con.execute(f"CREATE TABLE _v3_{table} ({OBSERVATION_DDL_COLUMNS})")
        con.execute(f"INSERT INTO _v3_{table} SELECT {select} FROM {table}")
        con.execute(f"DROP TABLE {table}")
        con.execute(f"ALTER TABLE _v3_{table} RENAME TO {table}")
        rebuilt += 1
    return rebuilt


def schema_version(con: duckdb.DuckDBPyConnection) -> str | None:
    """The version a store file says it has (None for a file with no meta table)."""
    columns = _base_columns(con, "meta")
    if columns is None:
        return None
    row = fetch_one(con.execute("SELECT value FROM meta WHERE key = 'schema_version'"))
    return row[0] if row else None
