"""Reported versus computed: checking what sources say against the figures.

A source's stated change ("+660 % m/m") is a reported claim; where the store has
both months' figures the same change is computed here and the two are compared.

*Within rounding* means the intervals overlap: the reported number stands for
anything that rounds to it (660 -> 659.5..660.5; 157.5 -> 157.45..157.55), and the
computed change spans what the published figures allow given their own rounding
(353 t with a base of 46.4 t -> 353 +/- 0.5 over 46.4 +/- 0.05). Ranks agree when
equal. A disagreement is explained by the first reason that fits:

* the base figure was published after the claim (the source used an earlier print);
* the stated y/y matches the computed m/m or the reverse (mislabelled change);
* the stated change matches a different base month (two months back, 11 or 13
  months back), or two years back for a y/y (mislabelled year);
* the stated weight change matches the change in value;
* the implied base (current / (1 + change)) is within 2 % of the stored base
  (rounding of the base, or a revised base);
* ranks: destinations the source ranks above have no figure in the store;
* otherwise unexplained (different scope or release), with the implied base.

A second outlet's print of a figure (an ``outlet_*`` claim: Kyodo's 3,187 t beside the
stored 3,188 t from Reuters, or +27.8 % beside a primary +27.9 %) is set beside the
figure it repeats, the stored weight or the primary claim, with status ``outlets differ``
and the first reason that fits (:func:`explain_outlets`):

* consistent (rounded and truncated): one unit apart, as one figure between the two
  rounds (half up) to the higher and truncates to the lower (3,187.5..3,188 t -> 3,188 t
  and 3,187 t);
* consistent (rounded): one print is the other rounded half up (352.8 t -> 353 t; 5,952 t
  -> about 5,950 t: only a print stated as "about" counts its trailing zeros);
* consistent (truncated): one print is the other cut, not rounded (420.5 t -> 420 t);
* consistent (computed from rounded tonnes): two changes that a change computed from the
  stored tonnage and a base rounded to the tonne, each +/- 0.5 t, both allow;
* otherwise unexplained.

The joins of claims to computed figures are Ibis expressions; the judgement per
row is plain Python over their (small) result.
"""

from __future__ import annotations

import math

import ibis
import pyarrow as pa

from magwatch import records
from magwatch.analytics.changes import SERIES
from magwatch.analytics.ranks import AGGREGATES
from magwatch.analytics.series import GROUP, month_index, monthly, pick, usable_claims
from magwatch.periods import Month

CHANGE_METRICS = {"mom_pct": ("net_weight_kg", 1), "yoy_pct": ("net_weight_kg", 12),
                  "value_mom_pct": ("value_usd", 1), "value_yoy_pct": ("value_usd", 12)}
#: Slack (percentage points) when testing an alternative explanation.
ALTERNATIVE_SLACK = 0.5
#: Relative gap between implied and stored base taken as rounding / revision.
BASE_TOLERANCE = 0.02
#: A second outlet's print of a figure -> what it repeats (a weight, or a primary claim).
OUTLET_METRICS = {"outlet_net_weight_t": "net_weight_kg", "outlet_yoy_pct": "yoy_pct"}
OUTLETS_DIFFER = "outlets differ"

AUDIT_COLUMNS = [
    "period", "reporter", "partner", "flow", "commodity", "metric", "reported", "computed",
    "computed_low", "computed_high", "difference", "status", "reason", "current", "base",
    "base_period", "source", "source_url", "source_row", "vintage",
]


def claimed(claims):
    """Single-month claims of the metrics the audit checks, with a month index."""
    c = usable_claims(claims.filter((claims.period_months == 1)
                                    & claims.metric.isin([*CHANGE_METRICS, "rank", "share_pct",
                                                         *OUTLET_METRICS])))
    return c.mutate(month=month_index(c.period))


def monthly_ranks(series, aggregates: tuple[str, ...] = AGGREGATES):
    """Rank and share of every partner in every month (among partners with data)."""
    t = monthly(series)
    p = t.filter(~t.partner.isin(list(aggregates)) & t.net_weight_kg.notnull())
    w = t.filter(t.partner == "WLD")
    w = w.select(*GROUP, "month", world_kg=w.net_weight_kg)
    p = p.left_join(w, [*GROUP, "month"]).select(p, w.world_kg)
    by = ibis.window(group_by=[p[k] for k in (*GROUP, "month")], order_by=p.net_weight_kg.desc())
    every = ibis.window(group_by=[p[k] for k in (*GROUP, "month")])
    return p.mutate(rank=ibis.rank().over(by) + 1, partners_with_data=p.partner.count().over(every),
                    share_pct=ibis.ifelse(p.world_kg > 0, p.net_weight_kg / p.world_kg * 100,
                                          ibis.null("float64")))


def _fetched(latest, claims, reporter=None) -> dict:
    """The claims the audit checks and the monthly series they refer to (expressions)."""
    c = claimed(claims)
    if reporter is not None:
        c = c.filter(c.reporter == reporter)
    series = pick(latest.semi_join(c, list(GROUP)))
    m = monthly(series)
    ranks = monthly_ranks(series)
    m = m.left_join(ranks, [*SERIES, "month"]).select(
        m, ranks["rank"], ranks.partners_with_data, ranks.share_pct)
    cols = c.select(*SERIES, "period", "month", "metric", "value", "source", "source_url",
                    "source_row", "vintage", "note")
    return {"claims": cols, "series": m.select(
        *SERIES, "month", "net_weight_kg", "value_usd", "weight_vintage", "weight_source_url",
        "weight_source", "rank", "partners_with_data", "share_pct")}


def fetch(latest, claims, *, reporter: str | None = None) -> tuple[pa.Table, pa.Table]:
    """Claims and the monthly series they refer to, as Arrow tables."""
    got = _fetched(latest, claims, reporter)
    return got["claims"].to_pyarrow(), got["series"].to_pyarrow()


def _fetch_rows(latest, claims, reporter: str | None) -> tuple[list[dict], list[dict]]:
    """:func:`fetch` as rows, each query compiled once per process (:func:`series.run`)."""
    from magwatch.analytics.series import run

    def build(piece):
        def one(latest, claims, **p):
            return _fetched(latest, claims, p.get("reporter"))[piece]
        return one

    values = {} if reporter is None else {"reporter": reporter}
    shape = "audit.all" if reporter is None else "audit.reporter"
    return (run(f"{shape}.claims", build("claims"), (latest, claims), values),
            run(f"{shape}.series", build("series"), (latest, claims), values))


def decimals(x: float) -> int:
    """Decimal places a published number was given with (46.4 -> 1, 353.0 -> 0)."""
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return len(text.split(".")[1]) if "." in text else 0


def half_unit(x: float) -> float:
    return 0.5 * 10 ** -decimals(x)


def change_interval(current: float, base: float, ec: float, eb: float) -> tuple[float, float]:
    """Range of (current / base - 1) x 100 when each figure is known to +/- its rounding."""
    low = ((current - ec) / (base + eb) - 1) * 100
    high = ((current + ec) / (base - eb) - 1) * 100 if base - eb > 0 else math.inf
    return low, high


def overlaps(a: tuple[float, float], b: tuple[float, float], slack: float = 0.0) -> bool:
    return a[0] - slack <= b[1] and b[0] - slack <= a[1]


class _Series:
    """Monthly figures of the audited series, keyed for look-ups."""

    def __init__(self, table: pa.Table | list[dict]) -> None:
        self.rows = {}
        self.by_month: dict[tuple, list[dict]] = {}
        for r in table if isinstance(table, list) else table.to_pylist():
            key = tuple(r[k] for k in SERIES)
            self.rows[(key, r["month"])] = r
            self.by_month.setdefault((key[:-1], r["month"]), []).append(r)

    def get(self, key, month, measure):
        row = self.rows.get((key, month))
        return None if row is None else row[measure]

    def row(self, key, month):
        return self.rows.get((key, month))


def _in_tonnes(measure: str, x: float) -> float:
    return x / 1000 if measure == "net_weight_kg" else x


def _interval_for(series: _Series, key, month: int, lag: int, measure: str):
    cur, base = series.get(key, month, measure), series.get(key, month - lag, measure)
    if cur is None or base is None or base <= 0:
        return None
    c, b = _in_tonnes(measure, cur), _in_tonnes(measure, base)
    return change_interval(c, b, half_unit(c), half_unit(b)), (c / b - 1) * 100


def judge_change(claim: dict, series: _Series) -> dict:
    key = tuple(claim[k] for k in SERIES)
    measure, lag = CHANGE_METRICS[claim["metric"]]
    month, reported = claim["month"], claim["value"]
    out = {"computed": None, "computed_low": None, "computed_high": None, "difference": None,
           "current": None, "base": None, "base_period": str(Month.from_index(month - lag))}
    cur, base = series.get(key, month, measure), series.get(key, month - lag, measure)
    out["current"] = _in_tonnes(measure, cur) if cur is not None else None
    out["base"] = _in_tonnes(measure, base) if base is not None else None
    found = _interval_for(series, key, month, lag, measure)
    if found is None:
        missing = [str(Month.from_index(m)) for m, v in ((month, cur), (month - lag, base)) if v is None]
        what = "weight" if measure == "net_weight_kg" else "value"
        out["status"] = "reported only"
        out["reason"] = (f"no {what} figure for {', '.join(missing)} in the store"
                         if missing else "base figure is zero")
        return out
    (low, high), value = found
    out.update(computed=value, computed_low=low, computed_high=high, difference=reported - value)
    rep = (reported - half_unit(reported), reported + half_unit(reported))
    if overlaps(rep, (low, high)):
        out["status"], out["reason"] = "agrees", "within rounding"
        return out
    out["status"] = "disagrees"
    out["reason"] = _explain_change(claim, series, key, measure, lag, rep, value)
    return out


def _explain_change(claim, series, key, measure, lag, rep, value) -> str:
    month = claim["month"]
    base_row = series.row(key, month - lag)
    vintage = claim["vintage"]
    if base_row is not None and base_row["weight_vintage"] is not None and vintage is not None \
            and base_row["weight_vintage"] > vintage and claim["metric"] in ("mom_pct", "yoy_pct"):
        return (f"base figure for {Month.from_index(month - lag)} was published on "
                f"{base_row['weight_vintage']}, after the claim ({vintage}): the source compared "
                f"against an earlier print (computed {value:+.1f}%)")
    other = {1: 12, 12: 1}[lag]
    alt = _interval_for(series, key, month, other, measure)
    if alt is not None and overlaps(rep, alt[0], ALTERNATIVE_SLACK):
        name = {1: "m/m", 12: "y/y"}
        return (f"the stated {name[lag]} matches the computed {name[other]} ({alt[1]:+.1f}%): "
                f"change probably mislabelled")
    for shift in ((2, 3) if lag == 1 else (11, 13, 24)):
        alt = _interval_for(series, key, month, shift, measure)
        if alt is not None and overlaps(rep, alt[0], ALTERNATIVE_SLACK):
            what = "year probably mislabelled" if shift == 24 else "different base month"
            return (f"matches the change against {Month.from_index(month - shift)} "
                    f"({alt[1]:+.1f}%): {what}")
    if measure == "net_weight_kg":
        alt = _interval_for(series, key, month, lag, "value_usd")
        if alt is not None and overlaps(rep, alt[0], ALTERNATIVE_SLACK):
            return f"matches the change in value ({alt[1]:+.1f}%), not in weight"
    cur, base = series.get(key, month, measure), series.get(key, month - lag, measure)
    implied = _in_tonnes(measure, cur) / (1 + claim["value"] / 100) if claim["value"] > -100 else None
    stored = _in_tonnes(measure, base)
    unit = "t" if measure == "net_weight_kg" else "USD"
    if implied is not None and abs(implied - stored) / stored <= BASE_TOLERANCE:
        return (f"implies a base of {implied:,.1f} {unit} against the stored {stored:,.1f} {unit}: "
                f"rounding of the base or a revised base (computed {value:+.1f}%)")
    tail = f"; it implies a base of {implied:,.1f} {unit}, stored {stored:,.1f} {unit}" \
        if implied is not None else ""
    return (f"unexplained: computed {value:+.1f}%; the source may cover a different scope "
            f"or release{tail}")


def judge_rank(claim: dict, series: _Series, claims_same_month: list[dict]) -> dict:
    key = tuple(claim[k] for k in SERIES)
    row = series.row(key, claim["month"])
    out = {"computed": None, "computed_low": None, "computed_high": None, "difference": None,
           "current": None, "base": None, "base_period": None}
    if row is None or row["rank"] is None:
        out["status"] = "reported only"
        out["reason"] = "no figure for this destination in the month"
        return out
    n = row["partners_with_data"]
    out.update(computed=float(row["rank"]), computed_low=float(row["rank"]),
               computed_high=float(row["rank"]), difference=claim["value"] - row["rank"],
               current=row["net_weight_kg"] / 1000)
    if row["rank"] == claim["value"]:
        out["status"] = "agrees"
        out["reason"] = f"same rank among {n} destinations with data"
        return out
    out["status"] = "disagrees"
    above = [c["partner"] for c in claims_same_month
             if c["value"] < claim["value"] and series.row(key[:-1] + (c["partner"],), claim["month"]) is None]
    if above:
        out["reason"] = (f"partial data: destinations the source ranks higher have no figure in the "
                         f"store ({', '.join(sorted(above))}); rank {row['rank']} among {n} "
                         f"destinations with data")
    else:
        out["reason"] = (f"rank {row['rank']} among {n} destinations with data; the source ranks "
                         f"all destinations or used other figures")
    return out


def judge_share(claim: dict, series: _Series) -> dict:
    key = tuple(claim[k] for k in SERIES)
    row = series.row(key, claim["month"])
    out = {"computed": None, "computed_low": None, "computed_high": None, "difference": None,
           "current": None, "base": None, "base_period": None}
    if row is None or row["share_pct"] is None:
        out["status"], out["reason"] = "reported only", "no partner or world figure for the month"
        return out
    world = row["net_weight_kg"] / row["share_pct"] * 100 / 1000
    x = row["net_weight_kg"] / 1000
    low = (x - half_unit(x)) / (world + half_unit(world)) * 100
    high = (x + half_unit(x)) / (world - half_unit(world)) * 100
    out.update(computed=row["share_pct"], computed_low=low, computed_high=high,
               difference=claim["value"] - row["share_pct"], current=x, base=world)
    rep = (claim["value"] - half_unit(claim["value"]), claim["value"] + half_unit(claim["value"]))
    ok = overlaps(rep, (low, high))
    out["status"] = "agrees" if ok else "disagrees"
    out["reason"] = "within rounding" if ok else "unexplained: different world total or scope"
    return out


def outlet_name(url: str | None) -> str:
    """An outlet as its web host ('timeslive.co.za'); an outlet without a URL says so."""
    return records.outlet(url, "an outlet not named (data/SOURCES.md)")


def _precision(x: float, about: bool = False) -> int:
    """Decimal places of a print; for a print stated as approximate ("about 5,950 t"), an
    integer's trailing zeros count too (-1). 620 t as printed is to the tonne."""
    d = decimals(x)
    if d or x == 0 or not about:
        return d
    n, zeros = int(round(abs(x))), 0
    while n % 10 == 0:
        n, zeros = n // 10, zeros + 1
    return -zeros


def _print(x: float, unit: str, about: bool = False) -> str:
    text = f"{x:+,.{max(decimals(x), 0)}f}%" if unit == "%" else f"{x:,.{max(decimals(x), 0)}f} t"
    return f"about {text}" if about else text


def _rounded(x: float, places: int) -> float:
    """``x`` rounded half up, as published figures are (420.5 -> 421, not Python's 420)."""
    from decimal import ROUND_HALF_UP, Decimal

    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _cut(x: float, places: int) -> float:
    return math.floor(x * 10 ** places + 1e-9) / 10 ** places


def explain_outlets(a: float, b: float, unit: str, *, outlets: tuple[str, str],
                    about_b: bool = False, current_t: float | None = None) -> str:
    """Why two outlets' prints of one figure differ (the first reason that fits).

    ``a`` is the primary print, ``b`` the second outlet's; ``unit`` 't' or '%';
    ``current_t`` the month's stored tonnage when the prints are y/y changes.
    """
    names = f"{outlets[0]} {_print(a, unit)}, {outlets[1]} {_print(b, unit, about_b)}"
    if a == b:
        return f"same figure: {names}"
    pa_, pb = _precision(a), _precision(b, about_b)
    fine, coarse = max(pa_, pb), min(pa_, pb)
    step = 10 ** -fine
    lo, hi = min(a, b), max(a, b)
    if not about_b and math.isclose(hi - lo, step, rel_tol=1e-6):
        half = step / 2
        low_end = f"{hi - half:,.{fine + 1}f}" if fine >= 0 else f"{hi - half:,.0f}"
        return (f"consistent (rounded and truncated): {names}; one figure from {low_end} to "
                f"{_print(hi, unit).lstrip('+')} rounds to {_print(hi, unit)} and truncates "
                f"to {_print(lo, unit)}")
    if pa_ != pb:
        finer, coarser = (a, b) if pa_ > pb else (b, a)
        if math.isclose(_rounded(finer, coarse), coarser, abs_tol=1e-9):
            return (f"consistent (rounded): {names}; {_print(finer, unit)} rounds to "
                    f"{_print(coarser, unit, about_b and coarser == b)}")
        if coarse >= 0 and math.isclose(_cut(finer, coarse), coarser, abs_tol=1e-9):
            return (f"consistent (truncated): {names}; {_print(finer, unit)} cut (not rounded) "
                    f"gives {_print(coarser, unit)}")
    if unit == "%" and current_t is not None and a > -100 and b > -100:
        bases = (current_t / (1 + a / 100), current_t / (1 + b / 100))
        base = round(sum(bases) / 2)
        low, high = change_interval(current_t, base, half_unit(current_t), 0.5)
        if low <= lo and hi <= high:
            return (f"consistent (computed from rounded tonnes): {names}; {current_t:,g} t against "
                    f"a base of about {base:,} t, each +/- 0.5 t, allows {low:+.1f}% to "
                    f"{high:+.1f}%, which holds both (implied bases {bases[0]:,.1f} t and "
                    f"{bases[1]:,.1f} t)")
    return f"unexplained: {names} differ by more than rounding of one figure"


def judge_outlet(claim: dict, series: _Series, primaries: list[dict]) -> dict:
    """A second outlet's print beside what it repeats: the stored weight or a primary claim."""
    key = tuple(claim[k] for k in SERIES)
    out = {"computed": None, "computed_low": None, "computed_high": None, "difference": None,
           "current": None, "base": None, "base_period": None}
    row = series.row(key, claim["month"])
    about = (claim.get("note") or "").startswith("about (~)")
    current_t = row["net_weight_kg"] / 1000 if row and row["net_weight_kg"] is not None else None
    out["current"] = current_t
    target = OUTLET_METRICS[claim["metric"]]
    if target == "net_weight_kg":
        if current_t is None:
            out["status"], out["reason"] = "reported only", "no weight figure for the month in the store"
            return out
        first, unit, first_url = current_t, "t", row["weight_source_url"]
        official = row.get("weight_source") not in (None, "press")
    else:
        if not primaries:
            out["status"] = "reported only"
            out["reason"] = f"no primary {target} claim for the month to set it beside"
            return out
        p = primaries[0]
        first, unit, first_url, official = p["value"], "%", p["source_url"], False
    out.update(computed=first, computed_low=first, computed_high=first,
               difference=claim["value"] - first)
    reason = explain_outlets(first, claim["value"], unit,
                             outlets=(outlet_name(first_url), outlet_name(claim["source_url"])),
                             about_b=about, current_t=current_t)
    if first == claim["value"]:
        out["status"] = "agrees"
    elif official:
        out["status"] = "disagrees"
    else:
        out["status"] = OUTLETS_DIFFER
    out["reason"] = reason
    return out


def audit(latest, claims, *, reporter: str | None = None) -> pa.Table:
    """Every single-month reported change, share and rank beside the computed figure."""
    rows, series_rows = _fetch_rows(latest, claims, reporter)
    series = _Series(series_rows)
    rank_claims: dict[tuple, list[dict]] = {}
    primary: dict[tuple, list[dict]] = {}
    for c in rows:
        if c["metric"] == "rank":
            rank_claims.setdefault((*[c[k] for k in GROUP], c["month"], c["source_url"]), []).append(c)
        if c["metric"] in CHANGE_METRICS:
            primary.setdefault((*[c[k] for k in SERIES], c["month"], c["metric"]), []).append(c)
    for found in primary.values():
        found.sort(key=lambda r: (r["source_row"] is None, r["source_row"] or 0, r["source_url"] or ""))
    result = []
    for c in sorted(rows, key=lambda r: (r["period"], r["reporter"], r["partner"], r["metric"],
                                         r["source_url"] or "")):
        if c["metric"] in CHANGE_METRICS:
            verdict = judge_change(c, series)
        elif c["metric"] in OUTLET_METRICS:
            verdict = judge_outlet(c, series, primary.get(
                (*[c[k] for k in SERIES], c["month"], OUTLET_METRICS[c["metric"]]), []))
        elif c["metric"] == "rank":
            verdict = judge_rank(c, series, rank_claims[(*[c[k] for k in GROUP], c["month"],
                                                         c["source_url"])])
        else:
            verdict = judge_share(c, series)
        period = str(Month.parse(c["period"], "period"))
        result.append({"period": period, "reporter": c["reporter"], "partner": c["partner"],
                       "flow": c["flow"], "commodity": c["commodity"], "metric": c["metric"],
                       "reported": c["value"], **verdict, "source": c["source"],
                       "source_url": c["source_url"], "source_row": c["source_row"],
                       "vintage": c["vintage"]})
    schema = pa.schema([
        ("period", pa.string()), ("reporter", pa.string()), ("partner", pa.string()),
        ("flow", pa.string()), ("commodity", pa.string()), ("metric", pa.string()),
        ("reported", pa.float64()), ("computed", pa.float64()), ("computed_low", pa.float64()),
        ("computed_high", pa.float64()), ("difference", pa.float64()), ("status", pa.string()),
        ("reason", pa.string()), ("current", pa.float64()), ("base", pa.float64()),
        ("base_period", pa.string()), ("source", pa.string()), ("source_url", pa.string()),
        ("source_row", pa.int64()), ("vintage", pa.date32()),
    ])
    return pa.Table.from_pylist([{k: r.get(k) for k in AUDIT_COLUMNS} for r in result], schema=schema)


def summary(table: pa.Table) -> dict[str, int]:
    """Counts by status, and the agreement rate among rows with both figures."""
    counts: dict[str, int] = {}
    for status in table.column("status").to_pylist():
        counts[status] = counts.get(status, 0) + 1
    both = counts.get("agrees", 0) + counts.get("disagrees", 0)
    counts["both"] = both
    return counts
