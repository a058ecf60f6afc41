"""Read queries over the store: flows, as-of, revisions, releases, info."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa

from magwatch import params as checked
from magwatch.errors import ParameterError
from magwatch.periods import Month
from magwatch.store.schema import OBSERVATION_KEY_SQL, fetch_one

#: Columns of a flows answer: figures first, then where each came from.
FLOW_COLUMNS = """
    reporter, partner, flow, classification, commodity,
    strftime(period, '%Y-%m') AS period, period_months,
    net_weight_kg / 1000.0 AS net_weight_t, value, currency, value_usd,
    quantity, quantity_unit, is_estimated, is_confidential, flag, flag_raw,
    source, source_ref, vintage, vintage_precision, source_url, source_file, source_row,
    note, release_id
"""


def _filters(*, reporter=None, partner=None, commodity=None, flow=None, source=None,
             period=None, start=None, end=None, months=1) -> tuple[list[str], list[object]]:
    where: list[str] = []
    params: list[object] = []
    for column, value in (("reporter", reporter), ("partner", partner)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(checked.country(value, column))
    if source is not None:
        where.append("source = ?")
        params.append(checked.source_name(source))
    if commodity is not None:
        where.append("commodity = ?")
        params.append(checked.commodity(commodity))
    if flow is not None:
        where.append("flow = ?")
        params.append(checked.flow(flow))
    if period is not None and (start is not None or end is not None):
        raise ParameterError("period", "give --period or --from/--to, not both")
    if period is not None:
        where.append("period = ?")
        params.append(checked.month(period, "period"))
    if start is not None:
        where.append("period >= ?")
        params.append(checked.month(start, "from"))
    if end is not None:
        where.append("period <= ?")
        params.append(checked.month(end, "to"))
    if months:
        if not 1 <= int(months) <= 12:
            raise ParameterError("months", "expected 1 to 12, or 0 for every span")
        where.append("period_months = ?")
        params.append(int(months))
    return where, params


def _latest_as_of(as_of: dt.date) -> str:
    return (f"(SELECT * FROM observation WHERE vintage <= DATE '{as_of}' QUALIFY row_number() "
            f"OVER (PARTITION BY {OBSERVATION_KEY_SQL} ORDER BY vintage DESC, release_id DESC) = 1)")


def flows(con: duckdb.DuckDBPyConnection, *, as_of: str | dt.date | None = None,
          **filters: object) -> pa.Table:
    """Observations matching the filters, latest vintage per key (or as known on ``as_of``)."""
    as_of_date = checked.date(as_of, "as_of")
    relation = _latest_as_of(as_of_date) if as_of_date else "observation_latest"
    where, params = _filters(**filters)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    return con.sql(
        f"SELECT {FLOW_COLUMNS} FROM {relation} {clause} "
        f"ORDER BY period, reporter, partner, commodity, source, source_ref", params=params).to_arrow_table()


def claims(con: duckdb.DuckDBPyConnection, *, metric: str | None = None, **filters: object) -> pa.Table:
    """Reported claims (changes, shares, ranks a source states) matching the filters."""
    where, params = _filters(**filters)
    if metric is not None:
        where.append("metric = ?")
        params.append(checked.metric(metric))
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    return con.sql(
        f"SELECT reporter, partner, flow, classification, commodity, strftime(period, '%Y-%m') "
        f"AS period, period_months, metric, value, source, source_ref, vintage, vintage_precision, "
        f"source_url, note, release_id FROM claim_latest {clause} "
        f"ORDER BY period, partner, metric, source_ref", params=params).to_arrow_table()


def state(con: duckdb.DuckDBPyConnection) -> tuple:
    """(releases, last release id, last ingestion time): changes with every committed release."""
    return tuple(fetch_one(con.execute(
        "SELECT count(*), max(release_id), max(ingested_at) FROM release")))


def releases(con: duckdb.DuckDBPyConnection) -> pa.Table:
    return con.sql("SELECT * FROM release ORDER BY release_id").to_arrow_table()


def revisions(con: duckdb.DuckDBPyConnection, *, source: str | None = None,
              since: str | dt.date | None = None, release: int | None = None) -> pa.Table:
    """Each figure that replaced an earlier one for the same key: old and new side by side.

    ``since`` keeps revisions published on or after a date; ``release`` those one release made.
    """
    since_date = checked.date(since, "since")
    where = ["prev_release IS NOT NULL"]
    params: list[object] = []
    if source is not None:
        where.append("source = ?")
        params.append(checked.source_name(source))
    if since_date is not None:
        where.append("vintage >= ?")
        params.append(since_date)
    if release is not None:
        where.append("release_id = ?")
        params.append(int(release))
    key = OBSERVATION_KEY_SQL
    window = f"OVER (PARTITION BY {key} ORDER BY vintage, release_id)"
    return con.sql(f"""
        SELECT reporter, partner, flow, commodity, strftime(period, '%Y-%m') AS period,
               period_months, source, source_ref,
               prev_weight_kg / 1000.0 AS old_net_weight_t, net_weight_kg / 1000.0 AS new_net_weight_t,
               prev_value_usd AS old_value_usd, value_usd AS new_value_usd,
               CASE WHEN prev_weight_kg > 0
                    THEN round((net_weight_kg / prev_weight_kg - 1) * 100, 2) END AS weight_change_pct,
               prev_vintage AS old_vintage, vintage AS new_vintage,
               prev_release AS old_release, release_id AS new_release
        FROM (
            SELECT *, lag(net_weight_kg) {window} AS prev_weight_kg,
                   lag(value_usd) {window} AS prev_value_usd,
                   lag(vintage) {window} AS prev_vintage,
                   lag(release_id) {window} AS prev_release
            FROM observation
            WHERE ({key}) IN (SELECT ({key}) FROM observation GROUP BY {key} HAVING count(*) > 1)
        )
        WHERE {' AND '.join(where)}
        ORDER BY new_vintage, period, partner""", params=params).to_arrow_table()


def reference(con: duckdb.DuckDBPyConnection, name: str) -> pa.Table:
    """A bundled reference table as rows of text, in file order."""
    rows = con.execute("SELECT record FROM reference WHERE name = ? ORDER BY source_row",
                       [name]).fetchall()
    import json

    return pa.Table.from_pylist([json.loads(r[0]) for r in rows])


def _newest_event(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The latest event date: stored events and the bundled timeline (not yet seeded)."""
    dates = [fetch_one(con.execute(
        "SELECT max(TRY_CAST(json_extract_string(record, '$.date') AS DATE)) FROM reference "
        "WHERE name = 'rare_earth_events'"))[0]]
    if fetch_one(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'event'"))[0]:
        dates.append(fetch_one(con.execute("SELECT max(event_date) FROM event"))[0])
    return max((d for d in dates if d is not None), default=None)


def _last_changed(con: duckdb.DuckDBPyConnection) -> str | None:
    """When a release or an added event last changed the store (UTC, to the second)."""
    stamps = [fetch_one(con.execute("SELECT max(ingested_at) FROM release"))[0]]
    if fetch_one(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'event'"))[0]:
        stamps.append(fetch_one(con.execute(
            "SELECT max(added_at) FROM event WHERE origin <> 'bundled'"))[0])
    newest = max((s for s in stamps if s is not None), default=None)
    return newest.strftime("%Y-%m-%d %H:%M:%S") if newest else None


def _newest_month(con: duckdb.DuckDBPyConnection, where: str = "TRUE") -> str | None:
    newest = fetch_one(con.execute(
        f"SELECT max(period) FROM observation_latest WHERE period_months = 1 AND {where}"))[0]
    return str(Month.of(newest)) if newest else None


def data_age(con: duckdb.DuckDBPyConnection, today: dt.date) -> dict[str, object]:
    """The release calendar's China-customs month due by ``today`` against the store's."""
    from magwatch import calendar

    state = calendar.status(today, _newest_month(con, "reporter = 'CHN' AND flow = 'X'"))
    return {**state, "line": calendar.line(state)}


def info(con: duckdb.DuckDBPyConnection, path: Path | None,
         today: dt.date | None = None) -> dict[str, object]:
    """What the store holds: where it is, how new it is, then the counts."""
    one = lambda sql: fetch_one(con.execute(sql))  # noqa: E731
    obs = one("SELECT count(*), min(period), max(period) FROM observation")
    event = _newest_event(con)
    return {
        "path": str(path) if path else ":memory:",
        "newest_month": _newest_month(con),
        "newest_event": event.isoformat() if event else None,
        "last_changed": _last_changed(con),
        "data_age": data_age(con, today or dt.date.today()),
        "size_bytes": path.stat().st_size if path and path.exists() else None,
        "releases": one("SELECT count(*) FROM release")[0],
        "observations": obs[0],
        "latest_observations": one("SELECT count(*) FROM observation_latest")[0],
        "claims": one("SELECT count(*) FROM claim_latest")[0],
        "first_period": str(Month.of(obs[1])) if obs[1] else None,
        "last_period": str(Month.of(obs[2])) if obs[2] else None,
        "sources": [r[0] for r in con.execute("SELECT DISTINCT source FROM release ORDER BY 1").fetchall()],
        "reference_tables": [r[0] for r in con.execute("SELECT DISTINCT name FROM reference ORDER BY 1").fetchall()],
    }
