"""Unit values (USD per kg): outliers against the series' own history and against NdPr oxide
prices, and values published in another currency.

A unit value is value / net weight of one month (:func:`magwatch.analytics.changes.unit_value`).
Three rules judge it (docs/monitor.md, "Unit values"):

* **against its own series**: z = (ln u - median) / (1.4826 x MAD) over the logarithms of the
  series' unit values in the :data:`WINDOW` months before (MAD = median |ln u_i - median|); it
  needs :data:`MIN_HISTORY` such months and a MAD above zero; |z| >= :data:`THRESHOLD` flags it;
* **below the NdPr content cost**: where ``re_prices`` holds NdPr oxide quotes in USD/kg for the
  month, the content cost is the NdPr share of a magnet's weight that ``magnet_intensity`` cites
  times the quotes (lowest to highest); a unit value below the lowest is flagged. A kilogram of
  NdPr in a magnet takes more than a kilogram of oxide, so this understates the content's cost;
  magnets of another make-up (samarium-cobalt, grades rich in dysprosium) differ;
* **against the oxide price's move**: where one oxide market has quotes in both months of a
  change (m/m, y/y), the oxide's change runs from the lowest to the highest the quotes allow; a
  unit value moving :data:`AGAINST_PCT` % or more while every reading of the oxide moved the other
  way is flagged. Quotes in CNY are compared as quoted: the exchange rate's change between the
  months is not removed (magwatch holds no exchange rate).

A value published only in another currency (EUR from Comext, CNY from China customs) is shown
as published, never converted (magwatch holds no exchange rate): no USD unit value comes from it.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, field

from magwatch.analytics.figures import sort_key
from magwatch.periods import Month

#: Months before the month whose unit values form the series' history.
WINDOW = 24
#: Unit values the history needs before a z is computed.
MIN_HISTORY = 6
#: |z| at or above this flags the unit value.
THRESHOLD = 3.0
MAD_TO_SD = 1.4826
#: A unit value moving at least this much (%) against every reading of the oxide is flagged.
AGAINST_PCT = 10.0
OXIDE = "NdPr oxide"
#: Rare-earth magnet lines, whose unit values are set beside NdPr oxide: China's 85051110 (and
#: its 10-digit line), the EU's CN8 85051110 (magnets containing Nd, Pr, Dy or Sm) and the US
#: line for sintered NdFeB. Samarium-cobalt magnets fall under the first two as well.
OXIDE_LINES = frozenset({"85051110", "8505111000", "8505110070"})
NO_RATE = "magwatch holds no exchange rate"
_SHARE = re.compile(r"(\d+(?:\.\d+)?)% of it NdPr")


def history(series, month):
    """Unit values (USD/kg) of every series' single months in the :data:`WINDOW` months before
    ``month`` (an index or a parameter), from the one-figure-per-key table of ``series.pick``."""
    s = series.filter((series.period_months == 1) & (series.month < month)
                      & (series.month >= month - WINDOW)
                      & (series.value_usd > 0) & (series.net_weight_kg > 0))
    return s.select("partner", "month", unit_value=s.value_usd / s.net_weight_kg)


def robust_z(now: float, earlier: list[float]) -> tuple[float | None, float | None]:
    """(z, median unit value) of ``now`` against ``earlier`` (positive unit values), on their
    logarithms; z is None with fewer than :data:`MIN_HISTORY` values or a MAD of zero."""
    if not earlier or now <= 0:
        return None, None
    logs = [math.log(u) for u in earlier]
    med = statistics.median(logs)
    mad = statistics.median([abs(x - med) for x in logs])
    if len(logs) < MIN_HISTORY or mad == 0:
        return None, math.exp(med)
    return (math.log(now) - med) / (MAD_TO_SD * mad), math.exp(med)


def against_series(now: float, earlier: list[float]) -> tuple[float | None, str, list[str]]:
    """The unit value's z against its series, the basis in words and the flag (if any)."""
    z, med = robust_z(now, earlier)
    n = len(earlier)
    if z is None:
        why = "a MAD of zero" if n >= MIN_HISTORY else f"needs {MIN_HISTORY}"
        return None, (f"none: {n} month{'s' * (n != 1)} with a unit value in the {WINDOW} "
                      f"months before ({why})"), []
    basis = (f"computed: robust z of ln(unit value) against the median and MAD of its {n} months "
             f"with a unit value in the {WINDOW} months before (median {med:,.2f} USD/kg); "
             f"|z| >= {THRESHOLD:g} flags")
    flags = []
    if abs(z) >= THRESHOLD:
        word = "above" if z > 0 else "below"
        flags.append(f"unit value {now:,.2f} USD/kg is {abs(z):.1f} robust SD {word} the median "
                     f"{med:,.2f} USD/kg of its {n} months with a unit value in the {WINDOW} "
                     f"months before")
    return z, basis, flags


# -- oxide prices ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Quote:
    """One ``re_prices`` row of NdPr oxide: its month, market, unit, lowest and highest price."""

    row: int
    month: str
    market: str
    unit: str
    low: float
    high: float
    url: str


@dataclass
class Prices:
    """NdPr oxide quotes by month (from ``re_prices``) and the NdPr share of a magnet's weight
    (from ``magnet_intensity``), each with the row it came from."""

    quotes: list[Quote] = field(default_factory=list)
    share: float | None = None
    share_row: int | None = None
    share_url: str | None = None
    loaded: bool = False

    def of(self, month: str, unit: str | None = None, market: str | None = None) -> list[Quote]:
        return [q for q in self.quotes if q.month == month and (unit is None or q.unit == unit)
                and (market is None or q.market == market)]


def _number(text) -> float | None:
    """A price cell as a number; None when empty or not a number (that row is no quote)."""
    try:
        return float(str(text).strip()) if text is not None and str(text).strip() else None
    except ValueError:
        return None


def _quote(n: int, r: dict) -> Quote | None:
    """A monthly or daily NdPr oxide market quote; None for another material, an annual figure
    or a guaranteed floor (not a market price)."""
    date = str(r.get("date") or "")
    if r.get("material") != OXIDE or not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", date) \
            or "floor" in str(r.get("market") or "").lower():
        return None
    point, low, high = (_number(r.get(k)) for k in ("price", "price_low", "price_high"))
    low, high = (point, point) if point is not None else (low, high)
    if low is None or high is None:
        return None
    return Quote(n, date[:7], str(r.get("market")), str(r.get("unit")), low, high,
                 str(r.get("source_url") or ""))


def prices(re_prices: list[dict] | None, intensity: list[dict] | None) -> Prices:
    """:class:`Prices` from the rows of the two reference tables, in file order (row 1 first)."""
    if not re_prices:
        return Prices()
    quotes = [q for n, r in enumerate(re_prices, start=1) if (q := _quote(n, r)) is not None]
    out = Prices(quotes, loaded=True)
    for n, r in enumerate(intensity or [], start=1):
        m = _SHARE.search(str(r.get("note") or ""))
        if m:
            out.share, out.share_row, out.share_url = float(m.group(1)) / 100, n, r.get("source_url")
            break
    return out


def prices_from_store(con) -> Prices:
    """:func:`prices` from a store's reference tables; empty where the connection has none."""
    from magwatch.store.queries import reference

    try:
        return prices(reference(con, "re_prices").to_pylist(),
                      reference(con, "magnet_intensity").to_pylist())
    except Exception:          # no reference table here (an export folder, Spark): no prices
        return Prices()


def prices_for(table) -> Prices:
    """:func:`prices_from_store` of the store an Ibis table of the monitor is read from."""
    backend = table._find_backend()
    return prices_from_store(backend.con) if backend.name == "duckdb" else Prices()


def _rows_text(quotes: list[Quote]) -> str:
    return "re_prices.csv row" + ("s " if len(quotes) > 1 else " ") + \
        ", ".join(str(q.row) for q in quotes)


def _range(quotes: list[Quote]) -> tuple[float, float]:
    return min(q.low for q in quotes), max(q.high for q in quotes)


def _between(low: float, high: float, form: str = ",.2f", unit: str = "") -> str:
    """'52.00 to 55.00' ('+1.0% to +2.0%' with ``unit`` %), or one figure where both are equal."""
    return f"{low:{form}}{unit}" if low == high else f"{low:{form}}{unit} to {high:{form}}{unit}"


def against_content(now: float, month: str, p: Prices) -> tuple[dict | None, str, list[str]]:
    """The unit value of ``month`` beside the NdPr content cost at the month's USD oxide quotes."""
    if not p.loaded:
        return None, "none: no oxide prices in this store (re_prices.csv not loaded)", []
    usd = p.of(month, "USD/kg")
    if not usd:
        units = sorted({q.unit for q in p.of(month)})
        if units:
            return None, (f"none: re_prices.csv quotes NdPr oxide for {month} only in "
                          f"{', '.join(units)}, and {NO_RATE}: no comparison of levels"), []
        return None, f"none: re_prices.csv has no NdPr oxide quote for {month}", []
    if p.share is None:
        return None, "none: magnet_intensity.csv gives no NdPr share of a magnet's weight", []
    lo, hi = _range(usd)
    cost = (round(p.share * lo, 2), round(p.share * hi, 2))
    markets = "; ".join(dict.fromkeys(q.market for q in usd))
    out = {"market": markets, "unit": "USD/kg", "oxide_low": lo, "oxide_high": hi,
           "ndpr_share_pct": round(p.share * 100, 1), "content_cost_low": cost[0],
           "content_cost_high": cost[1], "below": now < p.share * lo,
           "rows": [q.row for q in usd], "urls": sorted({q.url for q in usd})}
    basis = (f"computed: NdPr content cost = {p.share * 100:g}% of the weight (magnet_intensity.csv "
             f"row {p.share_row}) x NdPr oxide {_between(lo, hi)} USD/kg ({markets}, "
             f"{_rows_text(usd)}) = {_between(*cost)} USD/kg; a unit value below the "
             "lowest is flagged (oxide, not metal: this understates the content's cost)")
    flags = [] if not out["below"] else [
        f"unit value {now:,.2f} USD/kg is below the cost of its NdPr content at the oxide price "
        f"({_between(*cost)} USD/kg: {p.share * 100:g}% of the weight at "
        f"{_between(lo, hi)} USD/kg, {markets}, {month})"]
    return out, basis, flags


def _market_with_both(p: Prices, month: str, base: str):
    """The first market (USD/kg markets first, then file order) quoting NdPr oxide in both months."""
    seen = dict.fromkeys((q.market, q.unit) for q in sorted(p.quotes, key=lambda q: (
        q.unit != "USD/kg", q.row)))
    for market, unit in seen:
        now, then = p.of(month, unit, market), p.of(base, unit, market)
        if now and then:
            return market, unit, now, then
    return None


def against_move(change: float, label: str, month: str, base: str,
                 p: Prices) -> tuple[dict | None, str, list[str]]:
    """A unit value change (``label`` m/m or y/y) beside NdPr oxide's move between the months."""
    if not p.loaded:
        return None, "none: no oxide prices in this store (re_prices.csv not loaded)", []
    found = _market_with_both(p, month, base)
    if found is None:
        return None, (f"none: no market in re_prices.csv quotes NdPr oxide in both {base} and "
                      f"{month}"), []
    market, unit, now, then = found
    (lo_now, hi_now), (lo_then, hi_then) = _range(now), _range(then)
    lo, hi = (lo_now / hi_then - 1) * 100, (hi_now / lo_then - 1) * 100
    against = (lo > 0 and change <= -AGAINST_PCT) or (hi < 0 and change >= AGAINST_PCT)
    out = {"market": market, "unit": unit, "base": base, "oxide_change_low_pct": round(lo, 1),
           "oxide_change_high_pct": round(hi, 1), "against": against,
           "rows": [q.row for q in then + now], "urls": sorted({q.url for q in then + now})}
    basis = (f"computed: NdPr oxide, {market}, {unit}: quotes in {base} and {month} "
             f"({_rows_text(then + now)}) allow {_between(lo, hi, '+.1f', '%')}; flagged when the unit "
             f"value moves {AGAINST_PCT:g}% or more the other way")
    if not unit.startswith("USD"):
        basis += (f"; the oxide is quoted in {unit.split('/')[0]} and the unit value is in USD: the "
                  f"exchange rate's change between the months is not removed ({NO_RATE})")
    flags = [] if not against else [
        f"unit value {change:+.1f}% {label} while NdPr oxide ({market}, {unit}) moved "
        f"{_between(lo, hi, '+.1f', '%')} from {base} to {month}"]
    return out, basis, flags


def assess(now: float, mom: float | None, yoy: float | None, month: int,
           earlier: list[float], p: Prices, commodity: str) -> tuple[dict, dict]:
    """Every judgement of one unit value (USD/kg) of month index ``month``: (fields, basis)."""
    at = Month.from_index(month)
    z, basis_z, flags = against_series(now, earlier)
    fields = {"unit_value_z": None if z is None else round(z, 2), "unit_value_flags": flags,
              "oxide": None}
    basis = {"unit_value_z": basis_z}
    if commodity not in OXIDE_LINES:
        basis["oxide_level"] = f"none: {commodity} is not a rare-earth magnet line (no NdPr oxide)"
        return fields, basis
    fields["oxide"] = {"level": None, "mom": None, "yoy": None}
    level, basis["oxide_level"], found = against_content(now, str(at), p)
    fields["oxide"]["level"] = level
    flags += found
    for key, change, back, label in (("mom", mom, 1, "m/m"), ("yoy", yoy, 12, "y/y")):
        if change is None:
            continue
        out, basis[f"oxide_{key}"], found = against_move(change, label, str(at), str(at - back), p)
        fields["oxide"][key] = out
        flags += found
    return fields, basis


# -- values in another currency -------------------------------------------------------------

def local_value(rows: list[dict], weight_kg: float | None) -> tuple[dict, dict, dict | None]:
    """The preferred value a month holds only in another currency (EUR, CNY), never converted:
    (fields, basis, the row it came from); empty where a row has a USD value or none has a value."""
    found = [r for r in rows if r.get("value") is not None and r.get("value_usd") is None
             and (r.get("currency") or "USD") != "USD"]
    if not found or any(r.get("value_usd") is not None for r in rows):
        return {}, {}, None
    row = sorted(found, key=sort_key)[0]
    cur = row["currency"]
    fields = {"value_local": row["value"], "value_currency": cur, "unit_value_local_kg": None}
    basis = {"value_local": f"observed: value in {cur}, not converted to USD ({NO_RATE}); no USD "
                            "unit value is made from it"}
    if weight_kg:
        fields["unit_value_local_kg"] = round(row["value"] / weight_kg, 2)
        basis["unit_value_local_kg"] = (f"computed: value in {cur} / net weight ({cur} per kg, not "
                                        f"converted to USD: {NO_RATE})")
    return fields, basis, row


def local_rows(rows):
    """Rows (an Ibis table of the latest-vintage rows) whose value is in another currency only."""
    return rows.filter(rows.value.notnull() & rows.value_usd.isnull()
                       & (rows.currency.fill_null("USD") != "USD"))


# -- one partner's months (the partner page) -------------------------------------------------

def months(chosen: list[dict], raw: list[dict], p: Prices, commodity: str) -> list[dict]:
    """Each month of one partner's series with a unit value or a value in another currency:
    the unit value, its m/m and y/y, its z, flags and words on what could not be compared.

    ``chosen``: :func:`magwatch.analytics.figures.chosen` rows of the series (single months);
    ``raw``: its flows rows (for values in another currency)."""
    uv = {r["period"]: r["value_usd"] / (r["net_weight_t"] * 1000) for r in chosen
          if r["period_months"] == 1 and (r["value_usd"] or 0) > 0 and (r["net_weight_t"] or 0) > 0}
    weights = {r["period"]: r["net_weight_t"] for r in chosen if r["period_months"] == 1}
    out = []
    for period in sorted(set(uv) | {r["period"] for r in raw if r.get("value") is not None}):
        at = Month.parse(period)
        row = {"period": period, "unit_value_usd_kg": None, "unit_value_mom_pct": None,
               "unit_value_yoy_pct": None, "unit_value_z": None, "unit_value_flags": [],
               "oxide": None, "basis": {}}
        if period in uv:
            _judged(row, uv, at, p, commodity)
        here = [r for r in raw if r["period"] == period and r.get("period_months") == 1]
        w = weights.get(period)
        fields, basis, _ = local_value(here, None if w is None else w * 1000)
        row.update(fields)
        row["basis"].update(basis)
        if period in uv or fields:
            out.append(row)
    return out


def _judged(row: dict, uv: dict[str, float], at: Month, p: Prices, commodity: str) -> None:
    now = uv[str(at)]
    row["unit_value_usd_kg"] = round(now, 2)
    row["basis"]["unit_value_usd_kg"] = "computed: value / net weight"
    changes = {}
    for key, back in (("unit_value_mom_pct", 1), ("unit_value_yoy_pct", 12)):
        base = uv.get(str(at - back))
        changes[key] = None if base is None else (now / base - 1) * 100
        row[key] = None if base is None else round(changes[key], 1)
        row["basis"][key] = (f"computed: value / net weight against {at - back}" if base else
                             f"no data: {at - back} has no unit value")
    earlier = [u for m, u in uv.items() if at - WINDOW <= Month.parse(m) < at]
    fields, basis = assess(now, changes["unit_value_mom_pct"], changes["unit_value_yoy_pct"],
                           at.index, earlier, p, commodity)
    row.update(fields)
    row["basis"].update(basis)
