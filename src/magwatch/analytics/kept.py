"""Monitor answers computed when a release lands, kept in the store keyed by its state.

The store stays the one truth: ``kept_monitor`` holds copies of :func:`monitor` results,
each filed under the store state it was computed from (:func:`magwatch.store.queries.state`:
the number of releases, the last release id and its ingestion time). A read whose
(state, reporter, commodity, flow, month) is kept returns the copy; any other read
computes from the store as before. So a copy is never served for another store state, and
the table can be dropped at any time (:func:`drop`) or rebuilt (:func:`rebuild`).

After a release commits, :func:`after_release` moves forward, to the new state, every copy
the release cannot have changed and computes the rest that readers ask first: a series'
figures for month m depend on its months up to m (levels, m/m and y/y, records, year to
date, anomaly scores over the history) and on the claims for m, so a release touching
month t of a series changes that series' months from t on (m+1 and m+12 among them);
copies of earlier months and of other series are kept. It then computes the latest month,
the month readers ask first, of the touched series that are kept already or are the
default one (China's magnet exports), at most :data:`EAGER_SERIES` of them; of the default
series it also computes the months with data the release touched and those that compare
against them (m+1, m+12; the newest :data:`EAGER_MONTHS` of them), so that the pages of the
months a release brings compute no monitor answer at their first request (the bundled load
touches and keeps them all); a later month whose copy a revision dropped computes when read.
It runs in its own transaction after the release's: if the process dies between the two, the
new state simply has fewer copies, and reads compute.
"""

from __future__ import annotations

import pickle

from magwatch.codes import MAGNET_LINE
from magwatch.periods import Month
from magwatch.store.schema import fetch_one

TABLE = "kept_monitor"
_LATEST = -1            # the month key of a call asking for the latest month
#: The series the dashboard and the brief open on; computed after every release touching it.
DEFAULT_SERIES = ("CHN", MAGNET_LINE, "X")
#: At most this many series computed at once after one release (a bulk file touches thousands).
EAGER_SERIES = 8
#: Of the default series, at most this many months with data (the newest) are computed after
#: one release: every month of the bundled data (40), while a bulk file of decades of history
#: costs seconds, not minutes; older months compute when first read.
EAGER_MONTHS = 48


#: The shape of a kept answer: raised whenever the monitor's answer changes shape (a new
#: field), so that copies an earlier version kept are never served for the same store state.
#: 4: each entry's flag, flag_text and flag_raw, withheld partners, code-change notes.
#: 5: a figure without a web address names its statistics source in words ("China customs").
SHAPE = 5


def _state_text(con) -> str | None:
    from magwatch.store.queries import state

    found = state(con)
    return None if not found[0] else repr((SHAPE, *found))


def _state_before(con, first: int) -> str:
    """The state the store had before release ``first`` was committed (as :func:`_state_text`)."""
    found = tuple(fetch_one(con.execute("SELECT count(*), max(release_id), max(ingested_at) "
                                        "FROM release WHERE release_id < ?", [first])))
    return "" if not found[0] else repr((SHAPE, *found))


def _exists(con) -> bool:
    return bool(fetch_one(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? "
                                      "AND schema_name = 'main'", [TABLE]))[0])


def lookup(con, month: int | None, reporter: str, commodity: str, flow: str):
    """The kept result for this call and the store's current state, or None."""
    try:
        if not _exists(con):
            return None
        row = fetch_one(con.execute(f"SELECT result FROM {TABLE} WHERE state = ? AND reporter = ? AND "
                          f"commodity = ? AND flow = ? AND month = ?",
                          [_state_text(con), reporter, commodity, flow,
                           _LATEST if month is None else month]))
    except Exception:                       # not a store (a Parquet folder, Spark): compute
        return None
    return None if row is None else pickle.loads(row[0])


def _touched(con, first: int, last: int) -> dict[tuple, int]:
    """(reporter, commodity, flow) -> the earliest month index releases first..last wrote."""
    rows = con.execute(
        "SELECT reporter, commodity, flow, min(year(period) * 12 + month(period) - 1) FROM ("
        " SELECT reporter, commodity, flow, period FROM observation"
        " WHERE release_id BETWEEN $f AND $l"
        " UNION ALL SELECT reporter, commodity, flow, period FROM claim"
        " WHERE release_id BETWEEN $f AND $l)"
        " WHERE period IS NOT NULL GROUP BY ALL", {"f": first, "l": last}).fetchall()
    return {(r, c, f): int(m) for r, c, f, m in rows}


def _carry(con, old: str, new: str, touched: dict[tuple, int]) -> None:
    """Move the copies the release cannot have changed to the new state; drop the others."""
    con.execute(f"DELETE FROM {TABLE} WHERE state <> ?", [old])
    present = {tuple(r) for r in con.execute(
        f"SELECT DISTINCT reporter, commodity, flow FROM {TABLE}").fetchall()}
    for (reporter, commodity, flow), first in ((k, v) for k, v in touched.items() if k in present):
        con.execute(f"DELETE FROM {TABLE} WHERE state = ? AND reporter = ? AND commodity = ? "
                    f"AND flow = ? AND (month >= ? OR month = ?)",
                    [old, reporter, commodity, flow, first, _LATEST])
    con.execute(f"UPDATE {TABLE} SET state = ? WHERE state = ?", [new, old])


def _put(con, state: str, key: tuple, month_key: int, result: dict) -> None:
    con.execute(f"DELETE FROM {TABLE} WHERE state = ? AND reporter = ? AND commodity = ? AND "
                f"flow = ? AND month = ?", [state, *key, month_key])
    con.execute(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?)",
                [state, *key, month_key, pickle.dumps(result)])


def _eager(con, tables, state: str, key: tuple) -> None:
    """Compute and keep the latest month of one series (under its month and as "latest")."""
    from magwatch.analytics.monitor import monitor
    from magwatch.errors import MagwatchError

    reporter, commodity, flow = key
    try:
        latest = monitor(*tables, month=None, reporter=reporter, commodity=commodity, flow=flow,
                         keep=False)
    except MagwatchError:                   # a series the monitor does not read (no months)
        return
    _put(con, state, key, _LATEST, latest)
    _put(con, state, key, Month.parse(latest["month"]).index, latest)


def month_keys(con, key: tuple, first: int) -> dict[int, int]:
    """Month keys a reader may ask of series ``key`` from month index ``first`` on, each with the
    key it is computed under: a month with a single-month figure or a claim is its own; both
    months of a January-February figure (published combined) are its second's, unless the
    month has a figure of its own (as :func:`magwatch.analytics.monitor.monitor` reads them)."""
    rows = con.execute(
        "SELECT DISTINCT year(period) * 12 + month(period) - 1 AS m, period_months AS span"
        " FROM observation_latest WHERE reporter = $r AND commodity = $c AND flow = $f"
        " AND period_months <= 2 AND period IS NOT NULL"
        " UNION SELECT DISTINCT year(period) * 12 + month(period) - 1, 0 FROM claim_latest"
        " WHERE reporter = $r AND commodity = $c AND flow = $f AND period_months = 1"
        " AND period IS NOT NULL",
        dict(zip("rcf", key))).fetchall()
    singles = {int(m) for m, span in rows if span == 1}
    out = {int(m): int(m) for m, span in rows if span in (0, 1)}
    for start in (int(m) for m, span in rows if span == 2):
        for m in (start, start + 1):
            if m not in singles:
                out[m] = start + 1
    return {m: at for m, at in sorted(out.items()) if m >= first}


def _months_touched(con, first: int, last: int, key: tuple) -> set[int]:
    """Month indices of series ``key`` that releases first..last wrote a figure or claim for,
    with the months that compare against them (m+1, m+12)."""
    rows = con.execute(
        "SELECT DISTINCT year(period) * 12 + month(period) - 1 FROM ("
        " SELECT reporter, commodity, flow, period FROM observation"
        " WHERE release_id BETWEEN $f AND $l"
        " UNION ALL SELECT reporter, commodity, flow, period FROM claim"
        " WHERE release_id BETWEEN $f AND $l)"
        " WHERE period IS NOT NULL AND reporter = $r AND commodity = $c AND flow = $w",
        {"f": first, "l": last, "r": key[0], "c": key[1], "w": key[2]}).fetchall()
    return {int(m) + d for (m,) in rows for d in (0, 1, 12)}


def _months_of(con, tables, key: tuple, wanted: set[int]) -> dict[int, dict]:
    """The monitor answer of the months ``wanted`` of one series that have data (the newest
    :data:`EAGER_MONTHS`), by month key (:func:`month_keys`); reads only, so it runs before
    the kept table is written."""
    from magwatch.analytics.monitor import monitor
    from magwatch.errors import MagwatchError

    done: dict[int, dict | None] = {}
    out = {}
    chosen = [(m, at) for m, at in month_keys(con, key, min(wanted, default=0)).items()
              if m in wanted]
    for month, at in chosen[-EAGER_MONTHS:]:
        if at not in done:
            try:
                done[at] = monitor(*tables, month=at, reporter=key[0], commodity=key[1],
                                   flow=key[2], keep=False)
            except MagwatchError:           # only unusable figures that month: reads say so
                done[at] = None
        if done[at] is not None:
            out[month] = done[at]
    return out


def _put_missing(con, state: str, key: tuple, answers: dict[int, dict]) -> None:
    """Keep ``answers`` (month key -> result) of series ``key`` where none is kept yet."""
    have = {int(r[0]) for r in con.execute(
        f"SELECT month FROM {TABLE} WHERE state = ? AND reporter = ? AND commodity = ? AND "
        f"flow = ?", [state, *key]).fetchall()}
    for month, result in answers.items():
        if month not in have:
            _put(con, state, key, month, result)


def ensure(con) -> None:
    con.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (state VARCHAR, reporter VARCHAR, "
                f"commodity VARCHAR, flow VARCHAR, month INTEGER, result BLOB)")


def after_release(con, release_id: int, first: int | None = None) -> bool:
    """Bring the kept results to the state a just-committed release made (see the module doc).

    ``first`` < ``release_id`` when releases ``first`` to ``release_id`` were committed one
    after another with nothing read between (a bundled load, an export folder): the copies
    move once, over everything those releases touched, as they would release by release.
    False if that failed (the copies then stay under the old state, never read again): a
    release never fails for its kept results.
    """
    try:
        _after_release(con, first or release_id, release_id)
    except Exception:
        return False
    return True


def _eager_series(con, old: str, touched: dict[tuple, int]) -> list[tuple]:
    """The touched series computed at once: the dashboard's default series and those that had
    a kept latest answer before (at most :data:`EAGER_SERIES`); others compute when read."""
    had = {tuple(r) for r in con.execute(
        f"SELECT reporter, commodity, flow FROM {TABLE} WHERE state = ? AND month = ?",
        [old, _LATEST]).fetchall()}
    chosen = [k for k in sorted(touched) if k == DEFAULT_SERIES or k in had]
    return chosen[:EAGER_SERIES]


def _after_release(con, first: int, last: int) -> None:
    import ibis

    backend = ibis.duckdb.from_connection(con)
    tables = (backend.table("observation_latest"), backend.table("claim_latest"))
    new = _state_text(con)
    touched = _touched(con, first, last)
    # the default series' months the release touched, and those comparing against them:
    # computed before the transaction (reads only; the writer holds the store's lock), kept
    # inside it
    months = (_months_of(con, tables, DEFAULT_SERIES,
                         _months_touched(con, first, last, DEFAULT_SERIES))
              if DEFAULT_SERIES in touched else {})
    con.execute("BEGIN TRANSACTION")
    try:
        ensure(con)
        old = _state_before(con, first)
        eager = _eager_series(con, old, touched)
        _carry(con, old, new, touched)
        for key in eager:
            _eager(con, tables, new, key)
        _put_missing(con, new, DEFAULT_SERIES, months)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def drop(con) -> None:
    con.execute(f"DROP TABLE IF EXISTS {TABLE}")


def kept(con) -> dict[tuple, dict]:
    """Every kept result of the current state, by (reporter, commodity, flow, month key)."""
    if not _exists(con):
        return {}
    rows = con.execute(f"SELECT reporter, commodity, flow, month, result FROM {TABLE} "
                       f"WHERE state = ?", [_state_text(con)]).fetchall()
    return {(r, c, f, m): pickle.loads(b) for r, c, f, m, b in rows}


__all__ = ["after_release", "lookup", "kept", "drop", "ensure", "month_keys", "TABLE"]
