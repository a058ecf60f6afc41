"""The monthly monitor: for one reporter, commodity, flow and month, what moved.

Assembles the Ibis expressions of :mod:`series`, :mod:`changes`, :mod:`ranks`,
:mod:`concentration`, :mod:`anomalies` and :mod:`audit` into one result, a plain
dict (JSON-ready) with ``month``, ``world``, ``partners`` (destinations or
origins, ranked), ``groups`` (the EU and other aggregates), ``concentration``,
``anomalies`` and ``lacks`` (what the month does not have, in words).

Each figure says how it was obtained in ``basis``: ``observed`` (a published
figure), ``computed`` (derived here, with the formula's inputs listed in
``sources``) or ``as reported by <outlet>`` (a change or rank a source states,
used where the store lacks a figure to compute it). Where both a computed and a
reported figure exist they are checked against each other (``checks``).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import pyarrow as pa

from magwatch import records
from magwatch.analytics import (anomalies, audit, changes, code_changes, concentration, figures,
                                flags, ranks, series, unit_values)
from magwatch.codes import MAGNET_LINE
from magwatch.errors import NoDataError, ParameterError
from magwatch.periods import Month

#: Columns of the flat partner table (table and CSV output).
TABLE_COLUMNS = ["partner", "net_weight_t", "value_usd", "mom_pct", "mom_basis", "yoy_pct",
                 "yoy_basis", "rank", "rank_basis", "share_pct", "share_change_pp", "record",
                 "streak", "anomaly", "sources"]


def parse_month(text: str | None) -> int | None:
    """'YYYY-MM' -> month index (None passes through); the index :func:`monitor` takes."""
    month = Month.optional(text, "month")
    return None if month is None else month.index


def outlet(url: str | None, source: str | None = None) -> str:
    """Where a figure was published: its web host, else its statistics source in words
    ('China customs' for a file imported with ``--source gacc``), else the source's name."""
    from magwatch.calendar import SCHEDULES

    known = SCHEDULES.get(source or "")
    return records.outlet(url, known.label if known else source or "unknown source")


def _tonnes(kg):
    return None if kg is None else round(kg / 1000, 3)


def _round(x, digits=1):
    return None if x is None else round(x, digits)


def _rows(expr) -> list[dict]:
    return expr.to_pyarrow().to_pylist()


class _Exprs:
    """The monitor's input expressions for one reporter, commodity and flow (values or
    ``ibis.param`` parameters)."""

    def __init__(self, latest, claims, reporter, commodity, flow):
        raw = series.select(latest, reporter=reporter, commodity=commodity, flow=flow,
                            keep_unusable=True)
        self.rows = series.usable(raw)
        self.unusable = series.unusable(raw)
        self.series = series.pick(self.rows)
        self.claims = series.usable_claims(claims.filter(
            (claims.reporter == reporter) & (claims.commodity == commodity) & (claims.flow == flow)))


class _Context:
    """One monitor call: its tables and values; :meth:`rows` runs a query shape on them."""

    def __init__(self, latest, claims, reporter, commodity, flow):
        self.reporter, self.commodity, self.flow = reporter, commodity, flow
        self.tables = (latest, claims)
        self.values = {"reporter": reporter, "commodity": commodity, "flow": flow}

    def rows(self, shape: str, build, **values) -> list[dict]:
        """Rows of ``build(exprs, **params)``, compiled once per shape (:func:`series.run`)."""
        def whole(latest, claims, reporter, commodity, flow, **params):
            return build(_Exprs(latest, claims, reporter, commodity, flow), **params)

        return series.run(f"monitor.{shape}", whole, self.tables, {**self.values, **values})


def _spans(x):
    """Months with a single or combined (January-February) figure, and months with claims."""
    s = x.series
    spans = s.filter(s.period_months <= 2).select(
        "month", span=s.period_months.cast("int64")).distinct()
    c = audit.claimed(x.claims)
    claimed = c.select("month", span=ibis.literal(0, "int64")).distinct()
    return spans.union(claimed)


def _months_with_data(ctx) -> tuple[list[int], list[int], list[int]]:
    got = ctx.rows("spans", _spans)
    singles = sorted({r["month"] for r in got if r["span"] == 1})
    combined = sorted({r["month"] for r in got if r["span"] == 2})
    claim_months = sorted({r["month"] for r in got if r["span"] == 0})
    return singles, combined, claim_months


def monitor(latest, claims, *, month: int | None = None, reporter: str = "CHN",
            commodity: str = MAGNET_LINE, flow: str = "X", keep: bool = True) -> dict:
    """The monitor result for one month (``month`` a month index; None = latest with data).

    With ``keep`` (the default) a result computed when its release landed and kept for the
    store's current state (:mod:`magwatch.analytics.kept`) is returned instead of computing.
    """
    reporter, flow, commodity = reporter.strip().upper(), flow.strip().upper(), str(commodity).strip()
    if flow not in ("X", "M"):
        raise ParameterError("flow", f"expected X or M, got {flow!r}")
    if not commodity.isdigit():
        raise ParameterError("commodity", f"expected digits, got {commodity!r}")
    if keep:
        found = _kept(latest, month, reporter, commodity, flow)
        if found is not None:
            return found
    ctx = _Context(latest, claims, reporter, commodity, flow)
    singles, combined, claim_months = _months_with_data(ctx)
    what = f"{reporter} {commodity} flow {flow}"
    if not singles and not combined and not claim_months:
        raise NoDataError(f"no monthly figures for {what} in the store")
    last = max(singles + [m + 1 for m in combined] + claim_months)
    if month is None:
        month = max(singles + [m + 1 for m in combined])
    at = Month.from_index(month)
    combined_start = Month(at.year, 1).index if at.month <= 2 else None
    use_combined = combined_start in combined and month not in singles
    if month not in singles and not use_combined and month not in claim_months:
        if month > last:
            raise NoDataError(f"{at} not released for {what}: the latest month with "
                              f"data is {Month.from_index(last)}")
        raise NoDataError(f"no figures for {what} in {at}: a gap in the store "
                          f"(no data), not a zero")
    if use_combined:
        return _combined(ctx, combined_start)
    return _single(ctx, month)


def _kept(latest, month, reporter, commodity, flow) -> dict | None:
    from magwatch.analytics import kept

    backend = latest._find_backend()
    if backend.name != "duckdb":
        return None
    return kept.lookup(backend.con, month, reporter, commodity, flow)


# -- single month -------------------------------------------------------------------------

def _figures(x, month, p0, p1, p12, m0, m1, m2, jan, span):
    """Every figure of a single month's monitor, by piece (one query on DuckDB)."""
    at = changes.at_month_from_rows(x.rows, month, periods=(p0, p1, p12))
    rk = ranks.ranked(at)
    s = x.series
    return {"at": at, "ranked": rk, "hhi": concentration.hhi(rk),
            "records": changes.records(s, month), "ytd": changes.year_to_date(s, month),
            "change_z": anomalies.change_scores(s, month),
            "seasonal_z": anomalies.seasonal_scores(s, month),
            "provenance": s.filter(s.month.isin([m0, m1, m2]) & (s.period_months == 1)),
            "observed_ytd": s.filter((s.month == jan) & (s.period_months == span)),
            "unusable": _unusable_at(x, [m0]),
            "uv_history": unit_values.history(s, month), "local_values": _local_values(x, p0),
            "flags": flags.flagged(x.rows.filter(x.rows.period_months == 1), [m0])}


def _local_values(x, p0):
    """The month's rows whose value is in another currency only (EUR, CNY): never converted."""
    r = unit_values.local_rows(x.rows.filter((x.rows.period == p0) & (x.rows.period_months == 1)))
    return r.select("partner", "value", "currency", "value_usd", "source", "source_ref",
                    "vintage", "source_row", "source_url", "source_file")


def _unusable_at(x, months):
    """The month's rows whose measures are NaN or infinite (read as no figure)."""
    u = x.unusable
    u = u.filter(series.month_index(u.period).isin(months))
    return u.select("partner", "period", *series.MEASURES, "source_file", "source_row", "source_url")


def _unusable_notes(rows: list[dict]) -> list[str]:
    """One note per stored row whose measure is not a number the monitor can use."""
    rows = sorted(rows, key=lambda r: (r["partner"], r["period"], r["source_row"] or 0))
    return [series.unusable_note(r) for r in rows]


def _single(ctx, month: int) -> dict:
    span = Month.from_index(month).month
    got = ctx.rows("single", _figures, month=month, m0=month, m1=month - 1, m2=month - 12,
                   jan=month - (span - 1), span=span,
                   **{f"p{lag}": Month.from_index(month - lag).first_day for lag in changes.LAGS})
    levels, ranked = _keyed(got["at"]), _keyed(got["ranked"])
    recs, ytd = _keyed(got["records"]), _keyed(got["ytd"])
    cz, sz = _keyed(got["change_z"]), _keyed(got["seasonal_z"])
    prov = {(r["partner"], r["month"], r["period_months"]): r for r in got["provenance"]}
    claimed = _claims_for(ctx, month, 1)
    observed_ytd = _keyed(got["observed_ytd"]) if span >= 2 else {}
    partners = sorted(set(levels) | set(claimed))
    entries = {p: _entry(p, month, levels.get(p), ranked.get(p), recs.get(p), ytd.get(p),
                         cz.get(p), sz.get(p), prov, claimed.get(p, []), observed_ytd.get(p))
               for p in partners}
    withheld = flags.attach(entries, got["flags"], lambda p: _entry(
        p, month, None, None, None, None, None, None, prov, [], None))
    result = _result(ctx, month, 1, entries, got["hhi"], levels)
    result["notes"] += withheld + [f"code change: {n}" for n in code_changes.notes(
        ctx.tables[0], ctx.reporter, ctx.commodity, ctx.flow)]
    result["notes"] += _unusable_notes(got["unusable"])
    _unit_values(ctx, month, result, levels, got)
    return result


def _unit_values(ctx, month: int, result: dict, levels: dict, got: dict) -> None:
    """Each entry's unit value judged against its series and oxide prices, and values in another
    currency shown unconverted (:mod:`magwatch.analytics.unit_values`)."""
    prices = unit_values.prices_for(ctx.tables[0])
    earlier: dict[str, list[float]] = {}
    for r in got["uv_history"]:
        earlier.setdefault(r["partner"], []).append(r["unit_value"])
    local: dict[str, list[dict]] = {}
    for r in got["local_values"]:
        local.setdefault(r["partner"], []).append(r)
    entries = ([result["world"]] if result["world"] else []) + result["partners"] + result["groups"]
    for e in entries:
        level = levels.get(e["partner"]) or {}
        if level.get("unit_value_usd_kg") is not None:
            fields, basis = unit_values.assess(
                level["unit_value_usd_kg"], level.get("unit_value_mom_pct"),
                level.get("unit_value_yoy_pct"), month, earlier.get(e["partner"], []), prices,
                ctx.commodity)
            e.update(fields)
            e["basis"].update(basis)
        if e["value_usd"] is None and local.get(e["partner"]):
            fields, basis, row = unit_values.local_value(local[e["partner"]], level.get("net_weight_kg"))
            e.update(fields)
            e["basis"].update(basis)
            if row is not None:
                e["sources"].append({"role": f"value ({row['currency']})", "source": row["source"],
                                     "outlet": outlet(row["source_url"], row["source"]), "url": row["source_url"],
                                     "file": row["source_file"], "row": row["source_row"],
                                     "vintage": str(row["vintage"])})
    result["unit_value_flags"] = [{"partner": e["partner"], "reasons": e["unit_value_flags"]}
                                  for e in entries if e["unit_value_flags"]]
    currencies = sorted({e["value_currency"] for e in entries if e["value_currency"]})
    if currencies:
        result["notes"].append(f"values in {', '.join(currencies)} are shown as published, not "
                               f"converted to USD ({unit_values.NO_RATE}): no USD unit value is "
                               "made from them")


def _keyed(rows: list[dict]) -> dict[str, dict]:
    return {r["partner"]: r for r in rows}


def _ytd_shaped(x, month):
    """Year-to-date totals of a combined January-February, shaped like at-month rows."""
    ytd_rows = changes.year_to_date(x.series, month)
    return ytd_rows.filter(ytd_rows.ytd.notnull()).mutate(
        month=month, net_weight_kg=ytd_rows.ytd,
        weight_prev=ibis.null("float64"), weight_year_ago=ytd_rows.ytd_prev,
        value_usd=ibis.null("float64"))


def _combined_figures(x, month, m0, m1, m2, m3):
    """Every figure of a January-February monitor, by piece (one query on DuckDB)."""
    rk = ranks.ranked(_ytd_shaped(x, month))
    s = x.series
    return {"ytd": changes.year_to_date(s, month), "ranked": rk, "hhi": concentration.hhi(rk),
            "provenance": s.filter(s.month.isin([m0, m1, m2, m3]) & s.period_months.isin([1, 2])),
            "unusable": _unusable_at(x, [m0, m1]),
            "flags": flags.flagged(x.rows.filter(x.rows.period_months == 2), [m0])}


def _combined(ctx, start: int) -> dict:
    """January-February published as one figure: no m/m, y/y against the previous Jan-Feb."""
    feb = start + 1
    got = ctx.rows("combined", _combined_figures, month=feb, m0=start, m1=start + 1,
                   m2=start - 12, m3=start - 11)
    totals, ranked, conc = _keyed(got["ytd"]), _keyed(got["ranked"]), got["hhi"]
    prov = {(r["partner"], r["month"], r["period_months"]): r for r in got["provenance"]}
    claimed = _claims_for(ctx, start, 2)
    entries = {}
    for p in sorted(set(totals) | set(claimed)):
        t = totals.get(p)
        level = None
        if t is not None and t["ytd"] is not None:
            level = {"net_weight_kg": t["ytd"], "value_usd": None, "unit_value_usd_kg": None,
                     "mom_pct": None, "mom_kg": None, "yoy_pct": t["ytd_yoy_pct"],
                     "yoy_kg": None if t["ytd_prev"] is None else t["ytd"] - t["ytd_prev"],
                     "weight_prev": None, "weight_year_ago": t["ytd_prev"]}
        entries[p] = _entry(p, feb, level, ranked.get(p), None, None, None, None, prov,
                            claimed.get(p, []), None, combined=True)
    withheld = flags.attach(entries, got["flags"], lambda p: _entry(
        p, feb, None, None, None, None, None, None, prov, [], None, combined=True))
    result = _result(ctx, feb, 2, entries, conc, totals)
    result["notes"] += withheld + [f"code change: {n}" for n in code_changes.notes(
        ctx.tables[0], ctx.reporter, ctx.commodity, ctx.flow)]
    result["notes"] += _unusable_notes(got["unusable"])
    return result


# -- pieces -------------------------------------------------------------------------------

def _claims_for(ctx, month: int, span: int) -> dict[str, list[dict]]:
    def build(x, month, span):
        c = x.claims
        c = c.filter((c.period_months == span) & (series.month_index(c.period) == month))
        return c.select("partner", "metric", "value", "source", "source_ref", "source_url",
                        "source_file", "source_row", "vintage")

    out: dict[str, list[dict]] = {}
    for r in ctx.rows("claims", build, month=month, span=span):
        out.setdefault(r["partner"], []).append(r)
    return out


def _source(role: str, row: dict, measure: str = "weight") -> dict:
    return {"role": role, "source": row[f"{measure}_source"],
            "outlet": outlet(row[f"{measure}_source_url"], row[f"{measure}_source"]),
            "url": row[f"{measure}_source_url"], "file": row[f"{measure}_source_file"],
            "row": row[f"{measure}_source_row"], "vintage": str(row[f"{measure}_vintage"])}


def _claim_source(c: dict) -> dict:
    return {"role": f"reported {c['metric']}", "source": c["source"], "outlet": outlet(c["source_url"]),
            "url": c["source_url"], "file": c["source_file"], "row": c["source_row"],
            "vintage": str(c["vintage"]), "value": c["value"]}


def _check(metric: str, computed: float | None, current_kg, base_kg, claim: dict | None):
    if computed is None or claim is None:
        return None
    c, b = current_kg / 1000, base_kg / 1000
    low, high = audit.change_interval(c, b, audit.half_unit(c), audit.half_unit(b))
    rep = (claim["value"] - audit.half_unit(claim["value"]), claim["value"] + audit.half_unit(claim["value"]))
    ok = audit.overlaps(rep, (low, high))
    word = "consistent with" if ok else "differs from"
    return (f"computed {computed:+.1f}% {word} {claim['value']:+g}% as reported by "
            f"{outlet(claim['source_url'])}" + ("" if ok else
            f" (the published figures allow {low:+.1f}% to {high:+.1f}%; see 'magwatch audit')"))


@dataclass(frozen=True)
class _Basis:
    """What one partner's entry is read from: its month (February for a combined
    January-February), the level row (None without a figure), the provenance rows by
    (partner, month, span) and the claim figures.RULE prefers for each metric."""

    partner: str
    month: int
    level: dict | None
    prov: dict
    by_metric: dict[str, dict]
    combined: bool

    @property
    def weighed(self) -> bool:
        return self.level is not None and self.level["net_weight_kg"] is not None


def _entry(partner, month, level, ranked, rec, ytd, cz, sz, prov, claimed, observed_ytd,
           combined=False) -> dict:
    by_metric: dict[str, dict] = {}
    for c in sorted(claimed, key=figures.sort_key):
        by_metric.setdefault(c["metric"], c)             # the claim figures.RULE prefers
    b = _Basis(partner, month, level, prov, by_metric, combined)
    e: dict = {"partner": partner, "partner_name": _name(partner), "net_weight_t": None,
               "value_usd": None, "unit_value_usd_kg": None, "unit_value_mom_pct": None,
               "unit_value_yoy_pct": None, "unit_value_z": None, "unit_value_flags": [],
               "oxide": None, "value_local": None, "value_currency": None,
               "unit_value_local_kg": None, "mom_pct": None, "mom_t": None,
               "yoy_pct": None, "yoy_t": None, "rank": None, "share_pct": None,
               "share_change_pp": None, "basis": {}, "checks": [], "sources": []}
    _level(e, b)
    _month_on_month(e, b)
    _year_on_year(e, b)
    _rank_and_share(e, b, ranked)
    # records, streaks, year to date, anomalies
    if rec is not None:
        e["record"] = _record_text(rec, month)
        e["streak"] = _streak_text(rec["streak"])
    if ytd is not None or observed_ytd is not None:
        _ytd(e, month, ytd, observed_ytd)
    if cz is not None or sz is not None:
        _anomaly(e, month, cz, sz)
    for c in claimed:
        e["sources"].append(_claim_source(c))
    kinds = {("reported" if v.startswith("as reported") else "computed" if v.startswith("computed")
              else "observed" if v == "observed" else None) for v in e["basis"].values()}
    kinds.discard(None)
    e["basis"]["summary"] = " and ".join(sorted(kinds)) if kinds else "no data"
    return e


def _level(e: dict, b: _Basis) -> None:
    """The month's net weight, value and unit value, with their sources (a combined
    January-February without its own figure is the sum of the two months)."""
    level, month, combined = b.level, b.month, b.combined
    span = 2 if combined else 1
    first = month - 1 if combined else month
    here = b.prov.get((b.partner, first, span))
    if b.weighed:
        e["net_weight_t"] = _tonnes(level["net_weight_kg"])
        e["basis"]["net_weight_t"] = "computed: sum of January and February" if combined and here is None \
            else "observed"
        if here is not None:
            e["sources"].append(_source("net weight", here))
        elif combined:
            for m in (month - 1, month):
                r = b.prov.get((b.partner, m, 1))
                if r is not None:
                    e["sources"].append(_source(f"net weight {Month.from_index(m)}", r))
    if level is not None and level.get("value_usd") is not None:
        e["value_usd"] = level["value_usd"]
        e["basis"]["value_usd"] = "observed"
        if here is not None and here["value_source_url"] is not None:
            e["sources"].append(_source("value", here, "value"))
        if level.get("unit_value_usd_kg") is not None:
            e["unit_value_usd_kg"] = _round(level["unit_value_usd_kg"], 2)
            e["basis"]["unit_value_usd_kg"] = "computed: value / net weight"
            _unit_value_changes(e, level, month)


def _unit_value_changes(e: dict, level: dict, month: int) -> None:
    """The unit value's m/m and y/y, where value and weight exist in both months."""
    for key, back in (("unit_value_mom_pct", 1), ("unit_value_yoy_pct", 12)):
        if level.get(key) is not None:
            e[key] = _round(level[key], 1)
            e["basis"][key] = (f"computed: value / net weight against "
                               f"{Month.from_index(month - back)}")


def _against_base(e: dict, b: _Basis, metric: str, back: int, base_weight: str) -> None:
    """The base month ``back`` months earlier as a source of a computed change, and the
    change checked against a reported one."""
    base = b.month - back
    e["sources"].append(_source(f"base {Month.from_index(base)}", b.prov[(b.partner, base, 1)]))
    chk = _check(metric, b.level[metric], b.level["net_weight_kg"], b.level[base_weight],
                 b.by_metric.get(metric))
    if chk:
        e["checks"].append(chk)


def _month_on_month(e: dict, b: _Basis) -> None:
    """m/m: none for a combined January-February; computed from the previous month (and
    checked against a reported one), else as reported, else why not."""
    level, month, by_metric = b.level, b.month, b.by_metric
    if b.combined:
        e["basis"]["mom_pct"] = "none: January and February are published combined"
    elif level is not None and level["mom_pct"] is not None:
        e["mom_pct"], e["mom_t"] = _round(level["mom_pct"]), _tonnes(level["mom_kg"])
        e["basis"]["mom_pct"] = f"computed from {Month.from_index(month - 1)}: {_tonnes(level['weight_prev'])} t"
        _against_base(e, b, "mom_pct", 1, "weight_prev")
    elif "mom_pct" in by_metric:
        c = by_metric["mom_pct"]
        e["mom_pct"] = c["value"]
        e["basis"]["mom_pct"] = f"as reported by {outlet(c['source_url'])}"
    else:
        e["basis"]["mom_pct"] = _missing_base(level, month - 1, "previous month", month)


def _year_on_year(e: dict, b: _Basis) -> None:
    """y/y: computed from the same month (or January-February) a year earlier, checked
    against a reported one; else as reported, else why not."""
    level, month, combined, by_metric = b.level, b.month, b.combined, b.by_metric
    if level is not None and level["yoy_pct"] is not None:
        e["yoy_pct"], e["yoy_t"] = _round(level["yoy_pct"]), _tonnes(level["yoy_kg"])
        year_ago = Month.from_index(month - 12)
        base_label = f"{year_ago - 1}..{year_ago}" if combined else str(year_ago)
        e["basis"]["yoy_pct"] = f"computed from {base_label}: {_tonnes(level['weight_year_ago'])} t"
        if not combined:
            _against_base(e, b, "yoy_pct", 12, "weight_year_ago")
    elif "yoy_pct" in by_metric:
        c = by_metric["yoy_pct"]
        e["yoy_pct"] = c["value"]
        e["basis"]["yoy_pct"] = f"as reported by {outlet(c['source_url'])}"
        if b.weighed:
            e["basis"]["yoy_pct"] += f" ({Month.from_index(month - 12)} has no figure in the store)"
    elif combined and level is not None:
        e["basis"]["yoy_pct"] = (f"no data: January-February {Month.from_index(month).year - 1} is not complete "
                                 f"in the store")
    else:
        e["basis"]["yoy_pct"] = _missing_base(level, month - 12, "same month a year earlier", month)


def _rank_and_share(e: dict, b: _Basis, ranked: dict | None) -> None:
    """Rank among the destinations with data and share of the world's weight, checked
    against a reported rank; else the reported rank."""
    by_metric = b.by_metric
    if ranked is not None:
        e["rank"] = ranked["rank"]
        n = ranked["partners_with_data"]
        e["basis"]["rank"] = f"computed: rank among {n} destinations with data"
        if ranked["share_pct"] is not None:
            e["share_pct"] = _round(ranked["share_pct"])
            e["basis"]["share_pct"] = "computed: net weight / world net weight"
            e["share_change_pp"] = _round(ranked["share_change_pp"])
        if "rank" in by_metric and by_metric["rank"]["value"] != ranked["rank"]:
            e["checks"].append(f"{outlet(by_metric['rank']['source_url'])} ranks it "
                               f"{int(by_metric['rank']['value'])}; rank {ranked['rank']} here is "
                               f"among {n} destinations with data only")
        elif "rank" in by_metric:
            e["checks"].append(f"rank consistent with {outlet(by_metric['rank']['source_url'])}")
    elif "rank" in by_metric:
        e["rank"] = int(by_metric["rank"]["value"])
        e["basis"]["rank"] = f"as reported by {outlet(by_metric['rank']['source_url'])} (no figure here)"
    if b.partner == ranks.WORLD and e["net_weight_t"] is not None:
        e["share_pct"] = 100.0


def _anomaly(e: dict, month: int, cz: dict | None, sz: dict | None) -> None:
    """The change and seasonal z-scores, the anomaly they flag, and why a z is missing."""
    reasons = anomalies.flag(
        cz and cz["change_z"], sz and sz["seasonal_z"], cz and cz["d_now"],
        cz and cz["change_z_max"], cz and cz["change_z_min"],
        (cz or {}).get("change_z_history", 0), (sz or {}).get("seasonal_z_history", 0))
    e["change_z"] = _round(cz and cz["change_z"], 2)
    e["seasonal_z"] = _round(sz and sz["seasonal_z"], 2)
    e["anomaly"] = reasons
    if cz is not None and cz["change_z"] is None:
        e["basis"]["change_z"] = (f"none: {cz['change_z_history']} earlier m/m changes "
                                  f"(needs {6})")
    if sz is None or sz["seasonal_z"] is None:
        n = 0 if sz is None else sz["seasonal_z_history"]
        e["basis"]["seasonal_z"] = f"none: {n} earlier years of {Month.from_index(month).name} (needs 3)"


def _missing_base(level, base_month, what, month) -> str:
    if level is None or level["net_weight_kg"] is None:
        return f"no data: no figure for {Month.from_index(month)}"
    name = Month.from_index(month).name
    if name == "March" and base_month == month - 1:
        return f"no data: {Month.from_index(base_month)} has no single-month figure (January-February combined?)"
    if name == "February" and base_month == month - 1:
        return "none: February has no m/m when January and February are published combined"
    return f"no data: {Month.from_index(base_month)} ({what}) has no figure in the store"


def _record_text(rec, month) -> str | None:
    n = rec["months_with_data"]
    if not n:
        return "first figure in the store"
    parts = []
    if rec["higher_before"] is None:
        parts.append(f"highest of {n + 1} months with data since {Month.from_index(rec['first_month'])}")
    elif rec["months_since_higher"] >= 2:
        parts.append(f"highest since {Month.from_index(rec['higher_before'])} "
                     f"({rec['months_since_higher']} months with data in between)")
    if rec["lower_before"] is None:
        parts.append(f"lowest of {n + 1} months with data since {Month.from_index(rec['first_month'])}")
    elif rec["months_since_lower"] >= 2:
        parts.append(f"lowest since {Month.from_index(rec['lower_before'])} "
                     f"({rec['months_since_lower']} months with data in between)")
    return "; ".join(parts) or None


def _streak_text(streak) -> str | None:
    if not streak:
        return None
    word = "rise" if streak > 0 else "fall"
    n = abs(streak)
    if n == 1:
        return f"a {word} after a {'fall' if streak > 0 else 'rise'}, a flat month or a gap"
    return f"{n} consecutive monthly {word}s"


def _ytd(e, month, ytd, observed) -> None:
    span = Month.from_index(month).month
    computed = ytd["ytd"] if ytd else None
    if computed is not None:
        e["ytd_t"] = _tonnes(computed)
        e["basis"]["ytd_t"] = f"computed: sum of {span} months"
        if ytd["ytd_yoy_pct"] is not None:
            e["ytd_yoy_pct"] = _round(ytd["ytd_yoy_pct"])
            e["basis"]["ytd_yoy_pct"] = "computed from the same months a year earlier"
    if observed is not None and observed["net_weight_kg"] is not None:
        if computed is None:
            e["ytd_t"] = _tonnes(observed["net_weight_kg"])
            e["basis"]["ytd_t"] = f"observed: {span}-month total"
        else:
            diff = computed / 1000 - observed["net_weight_kg"] / 1000
            e["checks"].append(f"year-to-date sum {computed / 1000:,.1f} t vs published "
                               f"{observed['net_weight_kg'] / 1000:,.1f} t ({diff:+,.1f} t)")
        e["sources"].append(_source(f"{span}-month total", observed))


def _name(code: str) -> str:
    from magwatch.codes import name

    try:
        return name(code)
    except Exception:  # an unknown code keeps its code as name
        return code


def _result(ctx, month, span, entries, conc, levels) -> dict:
    world = entries.pop(ranks.WORLD, None)
    groups = [e for p, e in entries.items() if p in ranks.AGGREGATES]
    world_t = world["net_weight_t"] if world else None
    for g in groups:
        if world_t and g["net_weight_t"] is not None:
            g["share_pct"] = _round(g["net_weight_t"] / world_t * 100)
            g["basis"]["share_pct"] = "computed: group net weight / world net weight"
    partners = [e for p, e in entries.items() if p not in ranks.AGGREGATES]
    partners.sort(key=lambda e: (e["rank"] is None, e["rank"] or 0,
                                 -(e["net_weight_t"] or 0), e["partner"]))
    lacks = []
    if world is None or world["net_weight_t"] is None:
        lacks.append(f"no world total for {Month.from_index(month)}: no shares or concentration")
    for e in [world] + partners if world else partners:
        for k in ("mom_pct", "yoy_pct"):
            b = e["basis"].get(k, "")
            if b.startswith("as reported") and "no figure" in b:
                lacks.append(f"{e['partner']}: {b}")
    if not any(e["value_usd"] is not None for e in ([world] if world else []) + partners):
        lacks.append("no values (USD): weights only")
    reported_only = [e["partner"] for e in partners
                     if e["net_weight_t"] is None and not flags.withheld(e)]
    if reported_only:
        lacks.append("destinations ranked by a source but without a figure here: "
                     + ", ".join(reported_only))
    c = conc[0] if conc else None
    concentration_out = None
    if c is not None:
        lo, hi = c["hhi_min"], c["hhi_max"]
        names = {concentration.level(lo), concentration.level(hi)}
        concentration_out = {
            "hhi_min": _round(lo, 0), "hhi_max": _round(hi, 0),
            "level": " to ".join(sorted(names, key=lambda n: [x[1] for x in
                                 concentration.HHI_LEVELS_2010].index(n))),
            "highly_concentrated_2023": (lo > concentration.HHI_HIGH_2023) or (
                None if hi > concentration.HHI_HIGH_2023 else False),
            "top1_share_pct": _round(c["top1_share_pct"]), "top3_share_pct": _round(c["top3_share_pct"]),
            "coverage_pct": _round(c["coverage_pct"]), "partners_with_data": c["partners_with_data"],
            "basis": c["basis"] + ("" if lo == hi else
                                   f"; {100 - c['coverage_pct']:.1f}% of the total has no partner "
                                   f"figure, so the index lies between the bounds"),
            "thresholds": "2010 Horizontal Merger Guidelines: <1,500 unconcentrated, "
                          "1,500-2,500 moderately, >2,500 highly concentrated; "
                          "2023 Merger Guidelines: >1,800 highly concentrated",
        }
        if c["coverage_pct"] is not None and c["coverage_pct"] < 100:
            lacks.append(f"partner figures cover {c['coverage_pct']:.1f}% of the world total: ranks "
                         f"are among {c['partners_with_data']} destinations with data")
    flagged = [{"partner": e["partner"], "reasons": e.get("anomaly")}
               for e in ([world] if world else []) + partners + groups if e.get("anomaly")]
    return {
        "month": str(Month.from_index(month)) if span == 1 else f"{Month.from_index(month - 1)}..{Month.from_index(month)}",
        "period_months": span,
        "reporter": ctx.reporter, "commodity": ctx.commodity, "flow": ctx.flow,
        "world": world, "partners": partners, "groups": groups,
        "concentration": concentration_out, "anomalies": flagged, "unit_value_flags": [],
        "lacks": lacks,
        "notes": (["January and February are published as one figure: no m/m, "
                   "y/y against the previous January-February"] if span == 2 else []),
    }


def partner_table(result: dict) -> pa.Table:
    """The world row and the partners as one flat table (table and CSV output)."""
    rows = []
    for e in ([result["world"]] if result["world"] else []) + result["partners"] + result["groups"]:
        rows.append({
            "partner": e["partner"], "net_weight_t": e["net_weight_t"], "value_usd": e["value_usd"],
            "mom_pct": e["mom_pct"], "mom_basis": e["basis"].get("mom_pct"),
            "yoy_pct": e["yoy_pct"], "yoy_basis": e["basis"].get("yoy_pct"),
            "rank": e["rank"], "rank_basis": e["basis"].get("rank"), "share_pct": e["share_pct"],
            "share_change_pp": e["share_change_pp"], "record": e.get("record"),
            "streak": e.get("streak"), "anomaly": "; ".join(e.get("anomaly") or []) or None,
            "sources": "; ".join(sorted({s["outlet"] for s in e["sources"]})),
            "flag": e.get("flag_text"),
        })
    schema = pa.schema([
        ("partner", pa.string()), ("net_weight_t", pa.float64()), ("value_usd", pa.float64()),
        ("mom_pct", pa.float64()), ("mom_basis", pa.string()), ("yoy_pct", pa.float64()),
        ("yoy_basis", pa.string()), ("rank", pa.int64()), ("rank_basis", pa.string()),
        ("share_pct", pa.float64()), ("share_change_pp", pa.float64()), ("record", pa.string()),
        ("streak", pa.string()), ("anomaly", pa.string()), ("sources", pa.string()),
        ("flag", pa.string()),
    ])
    return pa.Table.from_pylist(rows, schema=schema)
