"""DuckDB tables of the store. Storage-specific SQL lives in this package only."""

from __future__ import annotations

import pyarrow as pa

from magwatch.records import CLAIM_KEY, CLAIM_SCHEMA, OBSERVATION_KEY, OBSERVATION_SCHEMA

SCHEMA_VERSION = "3"
# Version 2 stores each fact once: current rows in ``<table>_latest``, superseded
# rows in ``<table>_superseded``; ``<table>`` is the view of both (the history).
# Version 3 adds each observation's flag and flag_raw (magwatch.store.migrate).

#: DuckDB column type of each canonical Arrow type.
DUCKDB_TYPES = {
    pa.string(): "VARCHAR", pa.date32(): "DATE", pa.int8(): "TINYINT", pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN",
}


def _columns_ddl(schema: pa.Schema) -> str:
    """DuckDB columns of a canonical Arrow schema, plus the release that added each row."""
    columns = [f"{f.name} {DUCKDB_TYPES[f.type]}{'' if f.nullable else ' NOT NULL'}"
               for f in schema]
    return ",\n    ".join(columns + ["release_id BIGINT NOT NULL"])


_OBSERVATION_COLUMNS = OBSERVATION_DDL_COLUMNS = _columns_ddl(OBSERVATION_SCHEMA)
_CLAIM_COLUMNS = _columns_ddl(CLAIM_SCHEMA)

#: The event registry (magwatch.events.registry). Scope lists hold ISO3 codes,
#: tariff-line codes or element symbols: ``['ALL']`` = everything, ``[]`` = none,
#: NULL = not stated.
EVENT_DDL = """CREATE TABLE IF NOT EXISTS event (
    event_id VARCHAR PRIMARY KEY,
    event_date DATE NOT NULL,
    actor VARCHAR NOT NULL,
    event_type VARCHAR NOT NULL,
    summary VARCHAR NOT NULL,
    source_url VARCHAR,
    partners VARCHAR[],
    commodities VARCHAR[],
    elements VARCHAR[],
    scope_basis VARCHAR NOT NULL,
    scope_note VARCHAR,
    origin VARCHAR NOT NULL,
    source_file VARCHAR,
    source_row BIGINT,
    added_at TIMESTAMP NOT NULL
)"""

DDL = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS release (
        release_id BIGINT PRIMARY KEY,
        source VARCHAR NOT NULL,
        vintage DATE,
        file_name VARCHAR,
        file_size BIGINT,
        sha256 VARCHAR,
        rows_read BIGINT NOT NULL,
        rows_added BIGINT NOT NULL,
        claims_read BIGINT NOT NULL,
        claims_added BIGINT NOT NULL,
        ingested_at TIMESTAMP NOT NULL,
        note VARCHAR
    )""",
    # The latest vintage of every key (what the analytics read) and the rows a
    # later release superseded; together they are the add-only history.
    f"CREATE TABLE IF NOT EXISTS observation_latest ({_OBSERVATION_COLUMNS})",
    f"CREATE TABLE IF NOT EXISTS observation_superseded ({_OBSERVATION_COLUMNS})",
    f"CREATE TABLE IF NOT EXISTS claim_latest ({_CLAIM_COLUMNS})",
    f"CREATE TABLE IF NOT EXISTS claim_superseded ({_CLAIM_COLUMNS})",
    # Bundled reference tables (events, intensities, market structure...) kept
    # verbatim as text, one row per source row, with the file they came from.
    """CREATE TABLE IF NOT EXISTS reference (
        name VARCHAR NOT NULL,
        source_row BIGINT NOT NULL,
        record JSON NOT NULL,
        release_id BIGINT NOT NULL
    )""",
    EVENT_DDL,
    # What the source connectors fetched (magwatch.store.fetch_log): one row per
    # (source, request key) with the batch's status, release marker, digest of the
    # raw answer and the release it landed as ...
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
    # ... and every query a user fetched, with its base URL: the configured sources.
    """CREATE TABLE IF NOT EXISTS source_query (
        source VARCHAR NOT NULL,
        query JSON NOT NULL,
        base_url VARCHAR,
        first_at TIMESTAMP NOT NULL,
        last_at TIMESTAMP NOT NULL,
        PRIMARY KEY (source, query)
    )""",
]

def history_view(fact: str) -> str:
    """The add-only history of ``fact``: every row any release added."""
    return (f"CREATE VIEW IF NOT EXISTS {fact} AS SELECT * FROM {fact}_latest "
            f"UNION ALL SELECT * FROM {fact}_superseded")


OBSERVATION_COLUMNS = [*OBSERVATION_SCHEMA.names, "release_id"]
CLAIM_COLUMNS = [*CLAIM_SCHEMA.names, "release_id"]


def key_match(left: str, right: str, key: tuple[str, ...]) -> str:
    """SQL condition joining two relations on a key."""
    return " AND ".join(f"{left}.{k} = {right}.{k}" for k in key)


OBSERVATION_KEY_SQL = ", ".join(OBSERVATION_KEY)
CLAIM_KEY_SQL = ", ".join(CLAIM_KEY)


def fetch_one(cursor):
    """The first row of a result (or None), reading the result to its end.

    DuckDB refuses new work on a connection whose last result was not read
    through, so every single-row read goes through here.
    """
    rows = cursor.fetchall()
    return rows[0] if rows else None
