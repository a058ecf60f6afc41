"""The figure that stands for a key and month: one rule, and the one read everyone calls.

The store keeps every figure every source published, so several rows can hold the same
reporter x partner x flow x commodity x month (a statistics office and a news wire, two
articles, a press "primary row" with the tonnage and a "supplementary row" with only a
value). Wherever magwatch needs *the* figure of a key and month (the monitor, event
studies, scenario baselines, the mirror, the claim checker) it is chosen by :data:`RULE`,
per measure, among the rows that carry that measure:

=====  ============  ==========  =====================================================
order  key           direction   why
=====  ============  ==========  =====================================================
1      source rank   ascending   official statistics before press reports of them
                                 (:data:`SOURCE_RANK`: ``press`` 1, every other source 0)
2      vintage       descending  the latest vintage: a revision replaces what it revises
3      source row    ascending   a file's primary row before its supplementary rows; a
                                 figure without a row last
4      source ref    ascending   a stable choice among rows equal so far
=====  ============  ==========  =====================================================

Weight and value are chosen separately (a press row often carries only one of them),
each with its own provenance; conflicting figures are never added together.
Reported figures (the ``claim`` table: m/m, y/y, shares, ranks a source states) are
chosen by the same rule among the claims of one key, month and metric.

:func:`preference_order` builds the Ibis sort keys from :data:`RULE` (``series.pick``
and ``changes.at_month_from_rows`` use them); :func:`sort_key` is the same rule for rows
already in Python. :func:`chosen` and :func:`chosen_claims` read the chosen figures of a
store (latest vintage per key, or as known on ``as_of``); :func:`figure` gives one of
them as a flows-like row. Each reads the figures of one (reporter, commodity, flow) once
per store state and filters that in Arrow, so repeated calls cost no new query.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import weakref
from collections import OrderedDict
from typing import Any, Callable, Mapping

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from magwatch import params
from magwatch.codes import MAGNET_LINE
from magwatch.periods import Month

#: Rank of a source among rows of one key (lower first); a source not named here ranks 0.
SOURCE_RANK: dict[str, int] = {"press": 1}
#: The press source: reports of official statistics, ranked below them.
PRESS = "press"
#: Sort value of a missing source row: after every numbered row.
MISSING_ROW = 2**63 - 1

#: The rule, first key first: (sort key name, column, direction, reason).
RULE = (
    ("press", "source", "rank", "official statistics before press reports of them"),
    ("older", "vintage", "descending", "the latest vintage: a revision replaces what it revises"),
    ("row", "source_row", "ascending",
     "a file's primary row before its supplementary rows; a figure without a row last"),
    ("ref", "source_ref", "ascending", "a stable choice among rows equal so far"),
)


def _ibis_key(rows, column: str, direction: str):
    col = rows[column]
    if direction == "rank":
        return ibis.cases(*[(col == s, r) for s, r in SOURCE_RANK.items()], else_=0)
    if direction == "descending":             # a date, as minus YYYYMMDD
        return -(col.year() * 10000 + col.month() * 100 + col.day())
    return col.fill_null(MISSING_ROW) if col.type().is_integer() else col


def preference_order(rows) -> list:
    """:data:`RULE` as Ibis sort keys, all ascending and never null: the first row wins.

    ``press`` (source rank), ``older`` (minus the vintage as YYYYMMDD), ``row`` (the source
    row; missing last) and ``ref`` (the source reference). No key is null, so no backend's
    own null ordering enters the choice.
    """
    return [_ibis_key(rows, column, direction).name(name) for name, column, direction, _ in RULE]


def preference(rows):
    """:func:`preference_order` as one struct value per row (compared field by field), for
    ``column.argmin(preference(rows), where=...)``: the preferred row's value inside a
    grouped aggregation."""
    return ibis.struct({key.get_name(): key for key in preference_order(rows)})


def sort_key(row: Mapping[str, Any]) -> tuple:
    """:data:`RULE` for one row held in Python (a dict with ``source``, ``vintage``,
    ``source_row``, ``source_ref``): ``sorted(rows, key=sort_key)[0]`` is the preferred row."""
    out = []
    for _, column, direction, _ in RULE:
        value = row.get(column)
        if direction == "rank":
            out.append(SOURCE_RANK.get(value, 0))
        elif direction == "descending":
            out.append(-value.toordinal())
        elif column == "source_row":
            out.append(MISSING_ROW if value is None else value)
        else:
            out.append("" if value is None else value)
    return tuple(out)


# -- store state and the cache ------------------------------------------------------------

_tokens: "weakref.WeakKeyDictionary[Any, tuple]" = weakref.WeakKeyDictionary()
_counter = itertools.count(1)


def _store(source):
    """The :class:`~magwatch.store.Store` behind a store or a ``magwatch.open()`` handle."""
    return getattr(source, "store", source)


def _backend(store):
    """(identity of the stored data, an Ibis backend on the store's connection), kept per store."""
    found = _tokens.get(store)
    if found is None:
        ident = ("file", str(store.path.resolve())) if store.path is not None else ("memory", next(_counter))
        found = (ident, store.ibis())
        _tokens[store] = found
    return found


class _Cache:
    """Arrow tables by (data identity, store stamp, question); least recently used out first."""

    def __init__(self, max_entries: int = 64) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.misses = 0                      # answers computed (not found in the cache)

    def get(self, key: tuple, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = compute()
        with self._lock:
            self.misses += 1
            self._entries[key] = value
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


CACHE = _Cache()


def _cached(source, question: tuple, build: Callable) -> Any:
    store = _store(source)
    ident, backend = _backend(store)
    return CACHE.get((ident, store.stamp(), *question), lambda: build(backend))


# -- reading the chosen figures -------------------------------------------------------------

#: Columns of a :func:`chosen` answer: the key, the figures, each measure's provenance,
#: then how many rows carried each measure and their range.
PROVENANCE = ("source", "source_ref", "source_url", "source_file", "source_row", "vintage")
KEY_COLUMNS = ("reporter", "partner", "flow", "classification", "commodity", "period",
               "period_months")
CHOSEN_COLUMNS = (*KEY_COLUMNS, "net_weight_t", "value_usd",
                  *(f"{m}_{p}" for m in ("weight", "value") for p in PROVENANCE),
                  "weight_figures", "value_figures", "weight_low_t", "weight_high_t",
                  "value_low_usd", "value_high_usd")
#: The key of a reported figure: a claim key without its source.
CLAIM_GROUP = (*KEY_COLUMNS, "metric")
CLAIM_COLUMNS = (*CLAIM_GROUP, "value", *PROVENANCE, "note", "claims", "low", "high")
_FACT_KEY = {"observation": ("source", "source_ref", "reporter", "partner", "flow",
                             "classification", "commodity", "period", "period_months"),
             "claim": ("source", "source_ref", "reporter", "partner", "flow", "classification",
                       "commodity", "period", "period_months", "metric")}


def _relation(backend, fact: str, as_of: dt.date | None):
    """``<fact>_latest``, or per key the newest row with a vintage on or before ``as_of``
    (ties: the later release), as :func:`magwatch.store.queries.flows` reads them."""
    if as_of is None:
        return backend.table(f"{fact}_latest")
    history = backend.table(fact)
    history = history.filter(history.vintage <= as_of)
    window = ibis.window(group_by=[history[k] for k in _FACT_KEY[fact]],
                         order_by=[history.vintage.desc(), history.release_id.desc()])
    ranked = history.mutate(_newest=ibis.row_number().over(window))
    return ranked.filter(ranked._newest == 0).drop("_newest")


def _month_text(column: pa.ChunkedArray) -> pa.Array:
    return pc.strftime(column, format="%Y-%m")


def _chosen_table(backend, reporter, commodity, flow, as_of) -> pa.Table:
    """Every chosen figure of one (reporter, commodity, flow), all partners, months and spans."""
    from magwatch.analytics import series

    rows = series.select(_relation(backend, "observation", as_of), reporter=reporter,
                         commodity=commodity, flow=flow)
    t = series.pick(rows).to_pyarrow()
    t = t.sort_by([("period", "ascending"), ("period_months", "ascending"),
                   ("partner", "ascending"), ("classification", "ascending")])
    cols = {c: t[c] for c in KEY_COLUMNS}
    cols["period"] = _month_text(t["period"])
    cols["net_weight_t"] = pc.divide(t["net_weight_kg"], 1000.0)
    cols["value_usd"] = t["value_usd"]
    for m in ("weight", "value"):
        for p in PROVENANCE:
            cols[f"{m}_{p}"] = t[f"{m}_{p}"]
    cols["weight_figures"], cols["value_figures"] = t["weight_figures"], t["value_figures"]
    cols["weight_low_t"] = pc.divide(t["weight_low"], 1000.0)
    cols["weight_high_t"] = pc.divide(t["weight_high"], 1000.0)
    cols["value_low_usd"], cols["value_high_usd"] = t["value_low"], t["value_high"]
    return pa.table({c: cols[c] for c in CHOSEN_COLUMNS})


def _claims_table(backend, reporter, commodity, flow, as_of) -> pa.Table:
    """Every chosen claim of one (reporter, commodity, flow): one row per key, month and metric."""
    from magwatch.analytics import series

    c = series.usable_claims(series.select(_relation(backend, "claim", as_of), reporter=reporter,
                                           commodity=commodity, flow=flow, keep_unusable=True))
    group = [c[k] for k in CLAIM_GROUP]
    ranked = c.mutate(_n=ibis.row_number().over(ibis.window(group_by=group,
                                                            order_by=preference_order(c))),
                      claims=c.value.count().over(ibis.window(group_by=group)),
                      low=c.value.min().over(ibis.window(group_by=group)),
                      high=c.value.max().over(ibis.window(group_by=group)))
    t = ranked.filter(ranked._n == 0).select(*CLAIM_COLUMNS).to_pyarrow()
    t = t.sort_by([("period", "ascending"), ("period_months", "ascending"),
                   ("partner", "ascending"), ("metric", "ascending")])
    return t.set_column(t.schema.get_field_index("period"), "period", _month_text(t["period"]))


def _question(reporter, commodity, flow, as_of) -> tuple:
    return (None if reporter is None else params.country(reporter, "reporter"),
            None if commodity is None else params.commodity(commodity),
            None if flow is None else params.flow(flow),
            params.date(as_of, "as_of"))


def _narrow(t: pa.Table, *, partner, start, end, months, extra=()) -> pa.Table:
    """Rows of a chosen table for one partner, months ``start``..``end`` and one span."""
    conditions = []
    if partner is not None:
        conditions.append(pc.equal(t["partner"], params.country(partner, "partner")))
    for bound, name, test in ((start, "from", pc.greater_equal), (end, "to", pc.less_equal)):
        if bound is not None:
            conditions.append(test(t["period"], params.month(bound, name).strftime("%Y-%m")))
    if months:
        if not 1 <= int(months) <= 12:
            from magwatch.errors import ParameterError

            raise ParameterError("months", "expected 1 to 12, or 0 for every span")
        conditions.append(pc.equal(t["period_months"], int(months)))
    conditions.extend(extra)
    if not conditions:
        return t
    mask = conditions[0]
    for more in conditions[1:]:
        mask = pc.and_(mask, more)
    return t.filter(mask)


def chosen(store, *, reporter: str | None = "CHN", partner: str | None = None,
           commodity: str | None = MAGNET_LINE, flow: str | None = "X", start=None, end=None,
           as_of: str | dt.date | None = None, months: int = 1) -> pa.Table:
    """The figures that stand for each key and month: one row per key (:data:`CHOSEN_COLUMNS`).

    ``store`` is a :class:`~magwatch.store.Store` or a ``magwatch.open()`` handle. The rows
    are the store's latest vintage per key, or as known on ``as_of`` (YYYY-MM-DD); weight
    and value are chosen separately by :data:`RULE` and keep their own provenance
    (``weight_source`` ... ``value_vintage``); ``*_figures`` counts the rows that carried
    each measure and ``weight_low_t``/``weight_high_t``, ``value_low_usd``/``value_high_usd``
    give their range. ``period`` is ``YYYY-MM``; ``start``/``end`` bound it (inclusive);
    ``months`` is the span (1 monthly, 12 annual, 0 every span); None means any reporter,
    partner, commodity or flow. Sorted by period, span, partner.
    """
    question = _question(reporter, commodity, flow, as_of)
    t = _cached(store, ("observation", *question), lambda b: _chosen_table(b, *question))
    return _narrow(t, partner=partner, start=start, end=end, months=months)


def chosen_claims(store, *, reporter: str | None = "CHN", partner: str | None = None,
                  commodity: str | None = MAGNET_LINE, flow: str | None = "X",
                  metric: str | None = None, start=None, end=None,
                  as_of: str | dt.date | None = None, months: int = 1) -> pa.Table:
    """The reported figure that stands for each key, month and metric (:data:`CLAIM_COLUMNS`).

    Chosen by :data:`RULE` among the claims of one key, month and metric: official before
    press, then the latest vintage, then the lowest source row (a press file's primary row
    before its supplementary rows), then the source reference. ``claims`` counts the
    claims of the key, ``low``/``high`` their range. Filters as in :func:`chosen`.
    """
    question = _question(reporter, commodity, flow, as_of)
    t = _cached(store, ("claim", *question), lambda b: _claims_table(b, *question))
    extra = [] if metric is None else [pc.equal(t["metric"], params.metric(metric))]
    return _narrow(t, partner=partner, start=start, end=end, months=months, extra=extra)


def _index(store, question: tuple) -> dict[tuple, list[dict]]:
    """The chosen figures of one question as rows by (partner, period, span), kept per store state."""
    def build(_backend):
        t = _cached(store, ("observation", *question), lambda b: _chosen_table(b, *question))
        out: dict[tuple, list[dict]] = {}
        for row in t.to_pylist():
            out.setdefault((row["partner"], row["period"], row["period_months"]), []).append(row)
        return out
    return _cached(store, ("index", *question), build)


#: The measures :func:`figure` answers, with the prefix of their provenance columns.
MEASURES = {"net_weight_t": "weight", "value_usd": "value"}


def figure(store, *, reporter: str, partner: str, commodity: str, flow: str, period,
           measure: str = "net_weight_t", months: int = 1,
           as_of: str | dt.date | None = None) -> dict | None:
    """The chosen ``measure`` (``net_weight_t`` or ``value_usd``) of one key and month as a
    flows-like row, or None when no row carries it.

    Keys: the key columns (``period`` as ``YYYY-MM``), ``measure`` with its value, that
    measure's provenance under the flows names (``source``, ``source_ref``, ``source_url``,
    ``source_file``, ``source_row``, ``vintage``), ``figures`` (rows carrying the measure)
    and ``low``/``high`` (their range).
    """
    if measure not in MEASURES:
        from magwatch.errors import ParameterError

        raise ParameterError("measure", f"expected one of {', '.join(MEASURES)}, got {measure!r}")
    question = _question(reporter, commodity, flow, as_of)
    key = (params.country(partner, "partner"), str(Month.parse(period, "period")), int(months))
    prefix = MEASURES[measure]
    for row in _index(store, question).get(key, ()):
        if row[measure] is None:
            continue
        low, high = ("weight_low_t", "weight_high_t") if prefix == "weight" else (
            "value_low_usd", "value_high_usd")
        out = {k: row[k] for k in KEY_COLUMNS}
        out[measure] = row[measure]
        out.update({p: row[f"{prefix}_{p}"] for p in PROVENANCE})
        out.update(figures=row[f"{prefix}_figures"], low=row[low], high=row[high])
        return out
    return None


__all__ = ["CHOSEN_COLUMNS", "CLAIM_COLUMNS", "KEY_COLUMNS", "MEASURES", "PRESS", "PROVENANCE", "RULE",
           "SOURCE_RANK", "chosen", "chosen_claims", "figure", "preference", "preference_order",
           "sort_key"]
