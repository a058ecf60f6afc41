"""DuckDB tables of the store. Storage-specific SQL lives in this package only."""

from __future__ import annotations

from magwatch.records import CLAIM_KEY, OBSERVATION_KEY

SCHEMA_VERSION = "1"

_OBSERVATION_COLUMNS = """
    source VARCHAR NOT NULL,
    source_ref VARCHAR NOT NULL,
    reporter VARCHAR NOT NULL,
    partner VARCHAR NOT NULL,
    flow VARCHAR NOT NULL,
    classification VARCHAR NOT NULL,
    commodity VARCHAR NOT NULL,
    period DATE NOT NULL,
    period_months TINYINT NOT NULL,
    net_weight_kg DOUBLE,
    value DOUBLE,
    currency VARCHAR,
    value_usd DOUBLE,
    quantity DOUBLE,
    quantity_unit VARCHAR,
    is_estimated BOOLEAN NOT NULL,
    is_confidential BOOLEAN NOT NULL,
    vintage DATE NOT NULL,
    vintage_precision VARCHAR NOT NULL,
    source_url VARCHAR,
    source_file VARCHAR,
    source_row BIGINT,
    source_sha256 VARCHAR,
    note VARCHAR,
    release_id BIGINT NOT NULL
"""

_CLAIM_COLUMNS = """
    source VARCHAR NOT NULL,
    source_ref VARCHAR NOT NULL,
    reporter VARCHAR NOT NULL,
    partner VARCHAR NOT NULL,
    flow VARCHAR NOT NULL,
    classification VARCHAR NOT NULL,
    commodity VARCHAR NOT NULL,
    period DATE NOT NULL,
    period_months TINYINT NOT NULL,
    metric VARCHAR NOT NULL,
    value DOUBLE NOT NULL,
    vintage DATE NOT NULL,
    vintage_precision VARCHAR NOT NULL,
    source_url VARCHAR,
    source_file VARCHAR,
    source_row BIGINT,
    source_sha256 VARCHAR,
    note VARCHAR,
    release_id BIGINT NOT NULL
"""

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
    f"CREATE TABLE IF NOT EXISTS observation ({_OBSERVATION_COLUMNS})",
    f"CREATE TABLE IF NOT EXISTS observation_latest ({_OBSERVATION_COLUMNS})",
    f"CREATE TABLE IF NOT EXISTS claim ({_CLAIM_COLUMNS})",
    f"CREATE TABLE IF NOT EXISTS claim_latest ({_CLAIM_COLUMNS})",
    # Bundled reference tables (events, intensities, market structure...) kept
    # verbatim as text, one row per source row, with the file they came from.
    """CREATE TABLE IF NOT EXISTS reference (
        name VARCHAR NOT NULL,
        source_row BIGINT NOT NULL,
        record JSON NOT NULL,
        release_id BIGINT NOT NULL
    )""",
]

OBSERVATION_COLUMNS = [line.split()[0] for line in _OBSERVATION_COLUMNS.strip().splitlines()]
CLAIM_COLUMNS = [line.split()[0] for line in _CLAIM_COLUMNS.strip().splitlines()]


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
