"""Mirror reconciliation: what the reporter says it shipped against what the partner says it received.

For one pair (reporter R, e.g. CHN; partner P, e.g. USA) and the reporter's commodity line
(China's 10-digit 85051110), month by month:

* **exports**: R's exports to P on its own line (``flow X``, reporter R, partner P);
* **imports**: P's imports from R (``flow M``, reporter P, partner R) on the partner's line,
  which shares the HS6 prefix (HS6 ``850511``, CN-EU 8-digit, HTS-US 10-digit). Weights are
  the store's net weight in kg (Comext's 100 kg units were multiplied by 100 on ingestion)
  shown in tonnes; values in USD. A partner line kept in EUR (Comext) has no USD value: the
  store holds no EUR/USD rate, so no value comparison is made and the result says so.
* **shipping lag** L (0..:data:`MAX_LAG` months): imports in month t are compared with exports
  in month t - L. Estimated per pair as the lag whose Pearson correlation between the two
  weight series is highest over at least :data:`MIN_PAIRS` common months (ties go to the
  shorter lag); every lag's fit is returned. A lag given by the user is used as given.
* **scope**: when the partner's line is broader (HS6 850511 also holds AlNiCo, SmCo and other
  metal magnets) and the store holds the reporter's exports to P on the rest of HS6 (its
  sibling lines, e.g. China 85051190, or its HS6 total), the in-scope share
  s = sum(rare-earth line) / sum(all HS6) over the months with both, and the month's scope part
  is the reporter's other-line exports of that month (or imports x (1 - s) when that month's
  other line is missing). Without those lines the scope gap is not estimated and the residual
  says "unadjusted for scope".
* **CIF/FOB**: the valuation factor c = sum(import value) / sum(comparable export value)
  over months with both values (comparable = same scope as the partner's line). What the
  partner's value measures is stated per source (US Census ``GEN_VAL_MO`` is the customs
  value, which excludes freight and insurance; Comext and Comtrade imports are CIF).
* **residual** = imports - exports(t - L) - scope part, in tonnes and in % of the exports;
  flagged when it lies outside its usual range, median +/- 3 x 1.4826 x MAD of the pair's
  residual %, once at least :data:`MIN_RANGE` months are reconciled.
* **completeness**: a month after the last month a side has published is "pending", not a
  gap; a published month without a figure for the pair is "no figure".

Rerouting signals: a third country T whose imports from R (R's exports to T) rise while P's
imports from T rise, both over the last 3 months against the 3 before; and unit values
(USD per kg) of either side that jump against their own history (robust z >= 3). Each
signal names the series and months it rests on.

Everything here builds Ibis expressions over ``observation_latest``; Python only chooses
among the lines found and words the explanations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ibis
import pyarrow as pa

from magwatch.analytics.figures import preference_order
from magwatch.analytics.series import month_index, pick, unusable, unusable_note
from magwatch.codes import MAGNET_LINE, in_sentence, is_aggregate
from magwatch.codes import name as country_name
from magwatch.errors import NoDataError, ParameterError
from magwatch.periods import Month

MAX_LAG = 3
#: Common months needed before a lag's correlation counts.
MIN_PAIRS = 4
#: Reconciled months needed before a usual range of the residual is stated.
MIN_RANGE = 6
MAD_TO_SD = 1.4826
FLAG_Z = 3.0
#: Months in each half of the rerouting comparison (last N vs the N before).
REROUTE_MONTHS = 3
#: Rise (in %) both legs must show for a rerouting signal.
REROUTE_RISE_PCT = 25.0
#: Earlier months a unit value needs before a jump can be judged.
UV_MIN_HISTORY = 6

#: What an import value measures, per source (docs/sources.md).
VALUE_BASIS = {
    "census": "US customs value (GEN_VAL_MO): excludes international freight and insurance, not CIF",
    "comext": "CIF value at the EU border, in EUR",
    "comtrade": "primaryValue: CIF for imports",
}

COLUMNS = ("period", "partner_period", "status", "export_t", "other_line_t", "import_t",
           "scope_t", "residual_t", "residual_pct", "flag", "export_usd", "import_usd",
           "import_value_local", "import_currency", "value_ratio", "export_source",
           "export_vintage", "export_ref", "import_source", "import_vintage", "import_ref", "note")


# -- Ibis expressions ------------------------------------------------------------------------

def line_rows(latest, *, reporter: str, flow: str, classification: str, commodity: str,
              partner: str | None = None):
    """Single-month rows of one reporter's line (one partner, or all when ``partner`` is None)."""
    conditions = [latest.reporter == reporter, latest.flow == flow,
                  latest.classification == classification, latest.commodity == commodity,
                  latest.period_months == 1]
    if partner is not None:
        conditions.append(latest.partner == partner)
    return latest.filter(*conditions)


def figures(rows):
    """One figure per partner-month: weight and USD value as :func:`series.pick` chooses them,
    plus a value in another currency (EUR, CNY) where no USD value exists, chosen by the same
    rule (:data:`magwatch.analytics.figures.RULE`)."""
    picked = pick(rows)
    local = rows.filter(rows.value.notnull() & rows.value_usd.isnull())
    window = ibis.window(group_by=[local.partner, local.period], order_by=preference_order(local))
    local = local.mutate(_r=ibis.row_number().over(window))
    local = local.filter(local._r == 0).select(
        l_partner=local.partner, l_period=local.period, value_local=local.value,
        currency_local=local.currency)
    joined = picked.left_join(local, (picked.partner == local.l_partner)
                              & (picked.period == local.l_period))
    return joined.select(
        "partner", "period", month=joined.month.cast("int64"), kg=joined.net_weight_kg, usd=joined.value_usd,
        value_local=joined.value_local, currency_local=joined.currency_local,
        source=joined.weight_source.fill_null(joined.value_source),
        vintage=joined.weight_vintage.fill_null(joined.value_vintage),
        ref=ibis.coalesce(joined.weight_source_file, joined.weight_source_url,
                          joined.value_source_file, joined.value_source_url),
        row=joined.weight_source_row.fill_null(joined.value_source_row))


def lines_found(latest, *, reporter: str, partner: str | None, flow: str, prefix: str):
    """Lines of one reporter and flow whose code starts with ``prefix``: months, first, last."""
    conditions = [latest.reporter == reporter, latest.flow == flow, latest.period_months == 1,
                  latest.commodity.startswith(prefix)]
    if partner is not None:
        conditions.append(latest.partner == partner)
    t = latest.filter(*conditions)
    t = t.mutate(month=month_index(t.period))
    return t.group_by(["classification", "commodity"]).aggregate(
        months=t.month.nunique(), first=t.month.min(), last=t.month.max(),
        sources=t.source.max())


def coverage(latest, *, reporter: str, flow: str, classification: str, commodity: str):
    """First and last month a reporter published on a line, for any partner."""
    t = line_rows(latest, reporter=reporter, flow=flow, classification=classification,
                  commodity=commodity)
    t = t.filter(t.net_weight_kg.notnull() | t.value.notnull())
    t = t.mutate(month=month_index(t.period))
    return t.aggregate(first=t.month.min(), last=t.month.max())


def lag_fits(exports, imports, max_lag: int = MAX_LAG):
    """Per lag 0..max_lag: common months and the sums a Pearson correlation needs."""
    i = imports.filter(imports.kg.notnull()).select(i_month=imports.month, y=imports.kg)
    parts = []
    for lag in range(max_lag + 1):
        e = exports.filter(exports.kg.notnull()).select(e_month=exports.month + lag, x=exports.kg)
        j = e.inner_join(i, e.e_month == i.i_month)
        parts.append(j.aggregate(lag=ibis.literal(lag, "int64"), n=j.x.count(), sx=j.x.sum(),
                                 sy=j.y.sum(), sxx=(j.x * j.x).sum(), syy=(j.y * j.y).sum(),
                                 sxy=(j.x * j.y).sum()))
    out = parts[0]
    for p in parts[1:]:
        out = out.union(p)
    return out.order_by("lag")


def aligned(exports, other, imports, lag: int):
    """Imports in month t beside exports (and the reporter's other-line exports) of t - lag."""
    e = exports.select(month=exports.month + lag, export_month=exports.month, x_kg=exports.kg,
                       x_usd=exports.usd, x_source=exports.source, x_vintage=exports.vintage,
                       x_ref=exports.ref, x_row=exports.row)
    i = imports.select(i_month=imports.month, m_kg=imports.kg, m_usd=imports.usd,
                       m_local=imports.value_local, m_currency=imports.currency_local,
                       m_source=imports.source, m_vintage=imports.vintage, m_ref=imports.ref,
                       m_row=imports.row)
    calendar = e.select("month").union(i.select(month=i.i_month)).distinct()
    t = calendar.left_join(e, calendar.month == e.month).select(calendar.month, *[
        e[c] for c in e.columns if c != "month"])
    t = t.left_join(i, t.month == i.i_month).select(t, *[i[c] for c in i.columns if c != "i_month"])
    if other is not None:
        o = other.select(o_month=other.month + lag, o_kg=other.kg, o_usd=other.usd)
        t = t.left_join(o, t.month == o.o_month).select(t, o.o_kg, o.o_usd)
    else:
        t = t.mutate(o_kg=ibis.null("float64"), o_usd=ibis.null("float64"))
    return t.mutate(export_month=t.month - lag).order_by("month")


def other_line(latest, *, reporter: str, partner: str, commodity: str, classification: str,
               lines: list[dict]):
    """The reporter's exports to the partner on the rest of the HS6 heading, per month.

    From its HS6 total minus the own line when the store has an HS6 line, else the sum of
    the sibling lines of the same classification and length. None when neither exists.
    """
    own = figures(line_rows(latest, reporter=reporter, flow="X", classification=classification,
                            commodity=commodity, partner=partner))
    total = [x for x in lines if len(x["commodity"]) == 6]
    if total:
        t = figures(line_rows(latest, reporter=reporter, flow="X", partner=partner,
                              classification=total[0]["classification"], commodity=total[0]["commodity"]))
        mine = own.select(o_month=own.month, o_kg=own.kg, o_usd=own.usd)
        j = t.inner_join(mine, t.month == mine.o_month)
        return j.select("month", kg=j.kg - j.o_kg, usd=j.usd - j.o_usd), \
            f"{reporter} HS6 {total[0]['commodity']} total minus {commodity}"
    siblings = [x for x in lines if x["classification"] == classification
                and len(x["commodity"]) == len(commodity) and x["commodity"] != commodity]
    if not siblings:
        return None, None
    rows = latest.filter(latest.reporter == reporter, latest.flow == "X", latest.partner == partner,
                         latest.classification == classification, latest.period_months == 1,
                         latest.commodity.isin([x["commodity"] for x in siblings]))
    f = figures(rows)
    summed = f.group_by("month").aggregate(kg=f.kg.sum(), usd=f.usd.sum(), n=f.kg.count())
    names = ", ".join(x["commodity"] for x in siblings)
    return summed.select("month", "kg", "usd"), f"{reporter} {names}"


def robust_range(values):
    """Median and MAD of a one-column table ``v``."""
    med = values.aggregate(median=values.v.median(), n=values.v.count())
    dev = values.cross_join(med)
    dev = dev.mutate(a=(dev.v - dev.median).abs())
    return dev.aggregate(median=dev.median.max(), n=dev.n.max(), mad=dev.a.median())


def unit_value_history(series):
    """USD per kg each month, with the median, MAD and count of the series' earlier months."""
    uv = series.filter(series.kg.notnull() & (series.kg > 0) & series.usd.notnull() & (series.usd > 0))
    uv = uv.select("month", uv_now=uv.usd / uv.kg, luv=(uv.usd / uv.kg).ln())
    hist = uv.select(h_month=uv.month, h_luv=uv.luv)
    j = uv.inner_join(hist, uv.month > hist.h_month)
    med = j.group_by("month").aggregate(median=j.h_luv.median(), n=j.h_luv.count())
    j2 = j.inner_join(med, "month")
    j2 = j2.mutate(a=(j2.h_luv - j2.median).abs())
    mad = j2.group_by("month").aggregate(mad=j2.a.median(), median=j2.median.max(), n=j2.n.max())
    out = uv.inner_join(mad, "month")
    return out.select("month", "uv_now", "luv", "median", "mad", "n").order_by("month")


def reroute_legs(latest, *, reporter: str, partner: str, commodity: str, classification: str,
                 partner_line: dict, months: int = REROUTE_MONTHS):
    """Per third country: R's exports to it and P's imports from it, last ``months`` months
    against the ``months`` before, each leg ending at the last month both legs have."""
    leg1 = figures(line_rows(latest, reporter=reporter, flow="X", classification=classification,
                             commodity=commodity))
    leg2 = figures(line_rows(latest, reporter=partner, flow="M",
                             classification=partner_line["classification"],
                             commodity=partner_line["commodity"]))
    leg1 = leg1.filter(leg1.kg.notnull() & ~leg1.partner.isin([partner, reporter, "WLD"]))
    leg2 = leg2.filter(leg2.kg.notnull() & ~leg2.partner.isin([partner, reporter, "WLD"]))
    e1 = leg1.group_by("partner").aggregate(e1=leg1.month.max())
    e2 = leg2.group_by("partner").aggregate(e2=leg2.month.max())
    ends = e1.inner_join(e2, "partner")
    ends = ends.select("partner", end=ibis.least(ends.e1, ends.e2))

    def sums(leg, name):
        j = leg.inner_join(ends, "partner")
        now = (j.month > j.end - months) & (j.month <= j.end)
        before = (j.month > j.end - 2 * months) & (j.month <= j.end - months)
        return j.group_by("partner").aggregate(**{
            f"{name}_now": j.kg.sum(where=now), f"{name}_n_now": j.kg.count(where=now),
            f"{name}_before": j.kg.sum(where=before), f"{name}_n_before": j.kg.count(where=before),
            f"{name}_source": j.source.max(), "end": j.end.max()})

    a = sums(leg1, "leg1")
    b = sums(leg2, "leg2")
    j = a.inner_join(b, "partner").select(a, *[b[c] for c in b.columns if c not in ("partner", "end")])
    return j.order_by("partner")


# -- assembling the result ---------------------------------------------------------------------

@dataclass
class _Line:
    classification: str
    commodity: str
    months: int
    first: int
    last: int
    sources: str

    @classmethod
    def of(cls, row: dict) -> "_Line":
        return cls(row["classification"], row["commodity"], int(row["months"]), int(row["first"]),
                   int(row["last"]), row["sources"])

    def as_dict(self) -> dict:
        return {"classification": self.classification, "commodity": self.commodity,
                "months": self.months, "first": str(Month.from_index(self.first)),
                "last": str(Month.from_index(self.last)),
                "source": self.sources}


def scope_relation(reporter_code: str, partner_line: _Line) -> str:
    code = partner_line.commodity
    if code == reporter_code:
        return "same code"
    if len(code) == 6 and reporter_code.startswith(code):
        return "partner line broader"
    return "different national subdivision"


def _pearson(r: dict) -> float | None:
    n = r["n"] or 0
    if n < 2:
        return None
    vx = n * r["sxx"] - r["sx"] ** 2
    vy = n * r["syy"] - r["sy"] ** 2
    if vx <= 0 or vy <= 0:
        return None
    return (n * r["sxy"] - r["sx"] * r["sy"]) / math.sqrt(vx * vy)


def _execute(expr) -> list[dict]:
    return expr.to_pyarrow().to_pylist()


def _span(months: list[int]) -> str:
    """'2025-01..2025-03, 2025-06' for a list of month indexes."""
    if not months:
        return ""
    months = sorted(months)
    parts, start, prev = [], months[0], months[0]
    for m in months[1:] + [None]:
        if m is not None and m == prev + 1:
            prev = m
            continue
        a, b = Month.from_index(start), Month.from_index(prev)
        parts.append(str(a) if a == b else f"{a}..{b}")
        if m is not None:
            start = prev = m
    return ", ".join(parts)


def _unusable_notes(*lines) -> list[str]:
    """Notes on the stored rows of the compared lines whose measures are NaN or infinite."""
    rows = [r for line in lines for r in _execute(unusable(line).order_by("period", "source_row"))]
    return [unusable_note(r) for r in rows]


def _t(kg: float | None) -> float | None:
    return None if kg is None else kg / 1000.0


@dataclass(frozen=True)
class _Pair:
    """What one mirror is asked for, read and checked: the pair, the reporter's line, the
    window (month indexes, None for open) and the lag given by the user (None to estimate)."""

    reporter: str
    partner: str
    commodity: str
    since: Month | None
    until: Month | None
    lag: object

    @property
    def first(self) -> int | None:
        return None if self.since is None else self.since.index

    @property
    def last(self) -> int | None:
        return None if self.until is None else self.until.index

    @property
    def prefix(self) -> str:
        return self.commodity[:6]

    def shows(self, month: int) -> bool:
        """Whether a reporter month lies in the window asked for."""
        return (self.first is None or month >= self.first) and (self.last is None or month <= self.last)


@dataclass(frozen=True)
class _Compared:
    """The two lines reconciled: the reporter's own line (and its sibling lines under the
    same HS6 heading) and the partner line chosen, with how their scopes relate."""

    pair: _Pair
    classification: str
    own_lines: list[dict]
    pline: _Line
    relation: str

    @property
    def broader(self) -> bool:
        return self.relation == "partner line broader"


def mirror(latest, reference_rows: list[dict] | None = None, *, partner: str,
           reporter: str = "CHN", commodity: str = MAGNET_LINE, start: str | None = None,
           end: str | None = None, lag: int | None = None,
           partner_commodity: str | None = None) -> dict:
    """The month-by-month mirror of one pair (see the module docstring); a dict with
    ``months`` (an Arrow table, one row per reporter month), the lag fit, scope share,
    CIF/FOB factor, usual range, rerouting signals, explanations and context."""
    pair = _pair(partner=partner, reporter=reporter, commodity=commodity, start=start, end=end,
                 lag=lag)
    own_lines, classification = _own_lines(latest, pair)
    result = _blank_result(pair, classification)
    candidates = _partner_candidates(latest, pair, partner_commodity)
    if not candidates:
        return _without_partner(latest, result, pair, classification, reference_rows,
                                partner_commodity)
    pline = _choose_partner_line(candidates)
    c = _Compared(pair, classification, own_lines, pline, scope_relation(pair.commodity, pline))
    result["partner_line"] = {**pline.as_dict(), "scope_relation": c.relation,
                              "value_basis": VALUE_BASIS.get(pline.sources, "as published by the source"),
                              "other_lines": [x.as_dict() for x in candidates[1:]]}

    own = line_rows(latest, reporter=pair.reporter, flow="X", classification=classification,
                    commodity=pair.commodity, partner=pair.partner)
    theirs = line_rows(latest, reporter=pair.partner, flow="M", classification=pline.classification,
                       commodity=pline.commodity, partner=pair.reporter)
    result["notes"] += _unusable_notes(own, theirs)
    exports, imports = figures(own), figures(theirs)

    result["lag"] = _lag(exports, imports, pair.lag)
    chosen = result["lag"]["months"]
    rows, other_basis = _aligned_rows(latest, c, exports, imports, chosen)
    share, result["scope"] = _scope(c, rows, other_basis)
    result["cif_fob"], local_only = _cif_fob(c, rows, result["partner_line"]["value_basis"])
    out = _month_rows(latest, c, rows, chosen, share, result["cif_fob"]["factor"])
    result["usual_range"] = _usual_range(out)
    out = [o for o in out if pair.shows(Month.parse(o["period"]).index)]
    result["months"] = pa.Table.from_pylist(out, schema=_schema())
    result["explanations"] = _explain(out, pair.partner, pair.reporter)
    result["rerouting"] = _rerouting(latest, exports, imports, reporter=pair.reporter,
                                     partner=pair.partner, commodity=pair.commodity,
                                     classification=classification, pline=pline,
                                     first=pair.first, last=pair.last)
    if local_only:
        result["notes"].append(f"{len(local_only)} partner month(s) carry values in "
                               f"{', '.join(sorted({r['m_currency'] for r in local_only}))} only: "
                               f"value_usd stays empty (no exchange rate is held), weights are compared")
    return result


def _pair(*, partner, reporter, commodity, start, end, lag) -> _Pair:
    """The mirror's inputs read and checked (partner not the reporter, lag 0..MAX_LAG, the
    window in order)."""
    partner = str(partner).strip().upper()
    reporter = str(reporter).strip().upper()
    commodity = str(commodity).strip()
    if not partner or partner == reporter:
        raise ParameterError("partner", f"give a partner other than the reporter {reporter!r}")
    if lag is not None and not (0 <= int(lag) <= MAX_LAG):
        raise ParameterError("lag", f"expected 0..{MAX_LAG} months, got {lag!r}")
    since, until = Month.optional(start, "from"), Month.optional(end, "to")
    pair = _Pair(reporter, partner, commodity, since, until, lag)
    if pair.first is not None and pair.last is not None and pair.first > pair.last:
        raise ParameterError("from", f"{start} is after --to {end}")
    return pair


def _own_lines(latest, pair: _Pair) -> tuple[list[dict], str]:
    """The reporter's export lines to the partner under the HS6 heading, and the
    classification of its own line (the one with the most months); NoDataError without it."""
    own_lines = [r for r in _execute(lines_found(latest, reporter=pair.reporter, partner=pair.partner,
                                                 flow="X", prefix=pair.prefix))]
    mine = [r for r in own_lines if r["commodity"] == pair.commodity]
    if not mine:
        raise NoDataError(f"no exports by {pair.reporter} to {pair.partner} of {pair.commodity} in the store; "
                          f"load or import them first (magwatch load / magwatch import)")
    mine.sort(key=lambda r: -r["months"])
    return own_lines, mine[0]["classification"]


def _blank_result(pair: _Pair, classification: str) -> dict:
    since, until = pair.since, pair.until
    return {"reporter": pair.reporter, "partner": pair.partner, "commodity": pair.commodity,
            "classification": classification, "from": since and str(since), "to": until and str(until),
            "partner_line": None, "lag": None, "scope": None, "cif_fob": None,
            "usual_range": None, "months": None, "reconciled": [], "explanations": [],
            "rerouting": [], "context": [], "notes": []}


def _partner_candidates(latest, pair: _Pair, partner_commodity: str | None) -> list[_Line]:
    """The partner's monthly import lines from the reporter under the HS6 heading (only the
    one asked for, when ``partner_commodity`` is given)."""
    candidates = [_Line.of(r) for r in _execute(lines_found(latest, reporter=pair.partner,
                                                            partner=pair.reporter, flow="M",
                                                            prefix=pair.prefix))]
    if partner_commodity is not None:
        candidates = [c for c in candidates if c.commodity == str(partner_commodity).strip()]
    return candidates


def _choose_partner_line(candidates: list[_Line]) -> _Line:
    """The partner line: the HS6 heading when present (its scope can be estimated), else the
    line with the most months. Sorts ``candidates`` so the others follow it."""
    candidates.sort(key=lambda c: (len(c.commodity) != 6, -c.months, c.commodity))
    return candidates[0]


def _without_partner(latest, result: dict, pair: _Pair, classification: str,
                     reference_rows: list[dict] | None, partner_commodity: str | None) -> dict:
    """The result when the store holds no partner imports: the reporter's months alone, what
    to fetch, and the bundled importer-side figures as context."""
    partner, reporter = pair.partner, pair.reporter
    what = (f"line {partner_commodity}" if partner_commodity
            else f"HS {pair.prefix} (any line under it)")
    result["explanations"].append(
        f"partner side missing: the store holds no monthly imports by "
        f"{in_sentence(country_name(partner))} from {country_name(reporter)} of {what}; nothing "
        f"can be reconciled. Fetch them first, e.g. "
        f"'magwatch fetch census --commodity 850511 --flow M' (USA) or "
        f"'magwatch fetch comext' (EU)")
    result["context"] = _context(reference_rows or [], partner, reporter)
    if result["context"]:
        result["notes"].append(
            "context rows are importer-side figures for quarters or years as reported in the "
            "bundled partner_imports_monthly.csv; they are not monthly and are not spread over "
            "months or used in any computation")
    own = line_rows(latest, reporter=reporter, flow="X", classification=classification,
                    commodity=pair.commodity, partner=partner)
    result["notes"] += _unusable_notes(own)
    rows = _execute(figures(own).order_by("month"))
    rows = [r for r in rows if pair.shows(r["month"])]
    result["months"] = pa.Table.from_pylist([_row_unpaired(r) for r in rows], schema=_schema())
    return result


def _lag(exports, imports, lag) -> dict:
    """The shipping lag: the user's, else the best-correlated over MIN_PAIRS months, else 0;
    with every lag's fit."""
    fits = []
    for r in _execute(lag_fits(exports, imports)):
        corr = _pearson(r)
        ratio = r["sy"] / r["sx"] if r["n"] and r["sx"] else None
        fits.append({"lag": int(r["lag"]), "months": int(r["n"] or 0), "correlation": corr,
                     "import_export_ratio": ratio})
    usable = [f for f in fits if f["months"] >= MIN_PAIRS and f["correlation"] is not None]
    if lag is not None:
        chosen, how = int(lag), "set by the user"
    elif usable:
        best = max(usable, key=lambda f: (round(f["correlation"], 9), -f["lag"]))
        chosen, how = best["lag"], (f"estimated: highest correlation of the weight series "
                                    f"({best['correlation']:.3f} over {best['months']} months)")
    else:
        chosen, how = 0, (f"assumed 0: fewer than {MIN_PAIRS} months with both weights at every lag, "
                          f"so the lag could not be estimated")
    return {"months": chosen, "basis": how, "fit": fits}


def _aligned_rows(latest, c: _Compared, exports, imports, lag: int) -> tuple[list[dict], str | None]:
    """Each partner month beside the reporter's month ``lag`` earlier (and, for a broader
    partner line, the reporter's rest-of-HS6 exports), with where that rest comes from."""
    other, other_basis = (None, None)
    if c.broader:
        other, other_basis = other_line(latest, reporter=c.pair.reporter, partner=c.pair.partner,
                                        commodity=c.pair.commodity,
                                        classification=c.classification, lines=c.own_lines)
    return _execute(aligned(exports, other, imports, lag)), other_basis


def _scope(c: _Compared, rows: list[dict], other_basis: str | None) -> tuple[float | None, dict]:
    """The in-scope share s of a broader partner line (1 for the same code, None when it
    cannot be estimated) and how it was found."""
    pair = c.pair
    share = None
    if c.broader:
        both = [r for r in rows if r["x_kg"] is not None and r["o_kg"] is not None]
        sx, so = sum(r["x_kg"] for r in both), sum(r["o_kg"] for r in both)
        if both and sx + so > 0:
            share = sx / (sx + so)
            scope = {
                "share": share, "months": len(both), "basis": other_basis,
                "method": f"s = sum({pair.commodity}) / sum({pair.commodity} + rest of HS6) over "
                          f"{len(both)} months with both lines"}
        else:
            scope = {"share": None, "months": 0, "basis": None,
                     "method": f"not estimated: the store holds no {pair.reporter} exports to "
                               f"{pair.partner} on the rest of HS6 {pair.prefix} (e.g. China 85051190 "
                               f"or a Comtrade HS6 total); residuals are unadjusted for scope"}
    elif c.relation == "same code":
        scope = {"share": 1.0, "months": 0, "basis": "the same code on both sides",
                 "method": "no scope adjustment needed"}
    else:
        scope = {"share": None, "months": 0, "basis": None,
                 "method": f"not estimated: {c.pline.classification} {c.pline.commodity} and "
                           f"{c.classification} {pair.commodity} are different national "
                           f"subdivisions; residuals are unadjusted for scope"}
    return share, scope


def _cif_fob(c: _Compared, rows: list[dict], value_basis: str) -> tuple[dict, list[dict]]:
    """The CIF/FOB (valuation) factor over the months with comparable USD values on both
    sides, or why there is none; and the partner months valued only in another currency."""
    def comparable_usd(r):
        if r["x_usd"] is None:
            return None
        if c.broader:
            return None if r["o_usd"] is None else r["x_usd"] + r["o_usd"]
        return r["x_usd"]

    valued = [(r["m_usd"], comparable_usd(r)) for r in rows
              if r["m_usd"] is not None and comparable_usd(r) not in (None, 0)]
    local_only = [r for r in rows if r["m_usd"] is None and r["m_local"] is not None]
    if valued:
        factor = sum(a for a, _ in valued) / sum(b for _, b in valued)
        return {"factor": factor, "months": len(valued),
                "method": "sum(import value) / sum(comparable export value), USD",
                "import_value_basis": value_basis}, local_only
    reason = "no month has a USD value on both sides"
    if local_only:
        cur = sorted({r["m_currency"] for r in local_only})
        reason = (f"the partner's values are in {', '.join(cur)} with no USD value, and magwatch "
                  f"holds no exchange rate, so no value comparison is made (values shown as "
                  f"published)")
    elif c.broader and any(r["m_usd"] is not None for r in rows):
        reason = ("the partner line is broader and the reporter's rest-of-HS6 values are not in "
                  "the store, so the values are not comparable")
    return {"factor": None, "months": 0, "method": f"not estimated: {reason}",
            "import_value_basis": value_basis}, local_only


def _month_rows(latest, c: _Compared, rows: list[dict], lag: int, share: float | None,
                factor: float | None) -> list[dict]:
    """One output row per aligned month, its status judged against what each side has
    published on its line."""
    pair, pline = c.pair, c.pline
    pcov = _execute(coverage(latest, reporter=pair.partner, flow="M", classification=pline.classification,
                             commodity=pline.commodity))[0]
    rcov = _execute(coverage(latest, reporter=pair.reporter, flow="X", classification=c.classification,
                             commodity=pair.commodity))[0]
    return [_month_row(r, lag, share, c.relation, factor, pcov, rcov, pair.partner, pair.reporter)
            for r in rows]


def _usual_range(out: list[dict]) -> dict:
    """The usual range of the residual %, over every reconciled month (MIN_RANGE needed);
    flags the months outside it in ``out``."""
    residuals = [o["residual_pct"] for o in out if o["status"] == "reconciled"
                 and o["residual_pct"] is not None]
    if len(residuals) < MIN_RANGE:
        return {"median_pct": None, "low_pct": None, "high_pct": None,
                "months": len(residuals),
                "method": f"not established: {len(residuals)} reconciled month(s), "
                          f"{MIN_RANGE} needed"}
    stats = _execute(robust_range(ibis.memtable({"v": residuals})))[0]
    half = FLAG_Z * MAD_TO_SD * stats["mad"]
    for o in out:
        if o["status"] == "reconciled" and o["residual_pct"] is not None and half > 0 and \
                not (stats["median"] - half <= o["residual_pct"] <= stats["median"] + half):
            o["flag"] = "outside usual range"
    return {"median_pct": stats["median"], "low_pct": stats["median"] - half,
            "high_pct": stats["median"] + half, "months": int(stats["n"]),
            "method": "median +/- 3 x 1.4826 x MAD of the residual % over the "
                      "reconciled months"}


def _schema() -> pa.Schema:
    f64, s = pa.float64(), pa.string()
    types = {"period": s, "partner_period": s, "status": s, "flag": s, "import_currency": s,
             "export_source": s, "export_vintage": pa.date32(), "export_ref": s, "import_source": s,
             "import_vintage": pa.date32(), "import_ref": s, "note": s}
    return pa.schema([(c, types.get(c, f64)) for c in COLUMNS])


def _ref(ref, row) -> str | None:
    if ref is None:
        return None
    return f"{ref}#{row}" if row is not None else str(ref)


def _row_unpaired(r: dict) -> dict:
    row = {c: None for c in COLUMNS}
    row.update(period=str(Month.from_index(r["month"])), status="no partner series", export_t=_t(r["kg"]),
               export_usd=r["usd"], export_source=r["source"], export_vintage=r["vintage"],
               export_ref=_ref(r["ref"], r["row"]),
               note="the partner's monthly imports are not in the store")
    return row


def _month_row(r: dict, lag: int, share: float | None, relation: str, factor: float | None,
               pcov: dict, rcov: dict, partner: str, reporter: str) -> dict:
    row = {c: None for c in COLUMNS}
    m, e = r["month"], r["export_month"]
    pm, em = Month.from_index(m), Month.from_index(e)
    x, mk, o = r["x_kg"], r["m_kg"], r["o_kg"]
    row.update(period=str(em), partner_period=str(pm), export_t=_t(x), import_t=_t(mk),
               other_line_t=_t(o), export_usd=r["x_usd"], import_usd=r["m_usd"],
               import_value_local=r["m_local"], import_currency=r["m_currency"],
               export_source=r["x_source"], export_vintage=r["x_vintage"],
               export_ref=_ref(r["x_ref"], r["x_row"]), import_source=r["m_source"],
               import_vintage=r["m_vintage"], import_ref=_ref(r["m_ref"], r["m_row"]))
    if r["m_usd"] is not None and r["x_usd"]:
        row["value_ratio"] = r["m_usd"] / r["x_usd"]
    notes = []
    if x is not None and mk is not None:
        row["status"] = "reconciled"
        scope = None
        if relation == "partner line broader":
            if o is not None:
                scope, how = o, "scope = reporter's rest-of-HS6 exports that month"
            elif share is not None:
                scope, how = mk * (1 - share), f"scope = imports x (1 - s), s = {share:.3f}"
            else:
                how = "unadjusted for scope"
        else:
            how = "same code" if relation == "same code" else "unadjusted for scope"
        row["scope_t"] = _t(scope)
        residual = mk - x - (scope or 0.0)
        row["residual_t"] = _t(residual)
        row["residual_pct"] = residual / x * 100.0 if x else None
        notes.append(f"residual = imports({pm}) - exports({em})"
                     + (" - scope" if scope is not None else "") + f"; {how}")
    elif x is not None:
        if pcov["last"] is None or m > pcov["last"]:
            row["status"] = "pending"
            notes.append(f"{partner} has not published {pm} yet (its latest month on this line is "
                         f"{'none' if pcov['last'] is None else Month.from_index(pcov['last'])})")
        elif m < pcov["first"]:
            row["status"] = "no partner figure"
            notes.append(f"before the partner series starts ({Month.from_index(pcov['first'])})")
        else:
            row["status"] = "no partner figure"
            notes.append(f"{partner} published {pm} but the store has no weight for imports "
                         f"from {reporter}" + (" (value only)" if r["m_usd"] or r["m_local"] else ""))
    elif mk is not None:
        if rcov["last"] is None or e > rcov["last"]:
            row["status"] = "pending"
            notes.append(f"{reporter} has not published {em} yet (its latest month on this line is "
                         f"{'none' if rcov['last'] is None else Month.from_index(rcov['last'])})")
        else:
            row["status"] = "no reporter figure"
            notes.append(f"the store has no {reporter} export weight to {partner} for {em}"
                         + (" (value only)" if r["x_usd"] else "")
                         + "; the bundled press data covers only some months")
    else:
        row["status"] = "no weight"
        notes.append("values only on both sides; weights are needed to reconcile")
    if factor is not None and row["value_ratio"] is not None and relation != "partner line broader":
        notes.append(f"value ratio {row['value_ratio']:.3f} vs valuation factor {factor:.3f}")
    row["note"] = "; ".join(notes)
    return row


def _explain(out: list[dict], partner: str, reporter: str) -> list[str]:
    by: dict[str, list[int]] = {}
    for o in out:
        by.setdefault(o["status"], []).append(Month.parse(o["period"]).index)
    lines = []
    words = {
        "reconciled": "reconciled (both sides have a weight)",
        "pending": "pending (one side has not published that month yet)",
        "no partner figure": f"not reconciled: {partner} published but has no figure for imports from {reporter}",
        "no reporter figure": f"not reconciled: no {reporter} export figure in the store",
        "no weight": "not reconciled: values only, no weights",
    }
    for status in ("reconciled", "pending", "no partner figure", "no reporter figure", "no weight"):
        if by.get(status):
            lines.append(f"{words[status]}: {_span(by[status])} ({len(by[status])} month(s), "
                         f"reporter months)")
    flagged = [o["period"] for o in out if o["flag"]]
    if flagged:
        lines.append(f"residual outside its usual range: {', '.join(flagged)}")
    if not by.get("reconciled"):
        lines.append("no month could be reconciled in this window")
    return lines


def _context(rows: list[dict], partner: str, reporter: str) -> list[dict]:
    out = []
    for i, r in enumerate(rows, start=1):
        if r.get("importer") == partner and r.get("exporter") in (reporter, "WLD"):
            out.append({"label": "context only: reported importer-side figure, not monthly",
                        "period": r.get("period"), "importer": r.get("importer"),
                        "exporter": r.get("exporter"), "code_scope": r.get("code_scope"),
                        "net_weight_t": float(r["net_weight_t"]) if r.get("net_weight_t") else None,
                        "value_usd": float(r["value_usd"]) if r.get("value_usd") else None,
                        "exporter_share_pct": float(r["exporter_share_pct_reported"])
                        if r.get("exporter_share_pct_reported") else None,
                        "source_url": r.get("source_url"),
                        "source_file": "partner_imports_monthly.csv", "source_row": i})
    return out


def _rerouting(latest, exports, imports, *, reporter, partner, commodity, classification, pline,
               first, last) -> list[dict]:
    signals = []
    legs = _execute(reroute_legs(latest, reporter=reporter, partner=partner, commodity=commodity,
                                 classification=classification,
                                 partner_line={"classification": pline.classification,
                                               "commodity": pline.commodity}))
    for r in legs:
        third = r["partner"]
        if is_aggregate(third):
            continue
        complete = all(r[k] == REROUTE_MONTHS for k in ("leg1_n_now", "leg1_n_before",
                                                         "leg2_n_now", "leg2_n_before"))
        end = Month.from_index(r["end"])
        window = f"{end - (2 * REROUTE_MONTHS - 1)}..{end}"
        basis = (f"{reporter} exports to {third} ({classification} {commodity}, source "
                 f"{r['leg1_source']}) and {partner} imports from {third} ({pline.classification} "
                 f"{pline.commodity}, source {r['leg2_source']}), {window}")
        if not complete:
            signals.append({"kind": "third country", "country": third, "signal": False,
                            "text": f"{third}: not judged, the legs lack months in "
                                    f"{window}",
                            "rests_on": basis})
            continue
        rise1 = (r["leg1_now"] / r["leg1_before"] - 1) * 100 if r["leg1_before"] else None
        rise2 = (r["leg2_now"] / r["leg2_before"] - 1) * 100 if r["leg2_before"] else None
        hit = rise1 is not None and rise2 is not None and rise1 >= REROUTE_RISE_PCT \
            and rise2 >= REROUTE_RISE_PCT
        signals.append({
            "kind": "third country", "country": third, "signal": hit,
            "leg1_change_pct": rise1, "leg2_change_pct": rise2, "end": str(end),
            "text": (f"{third}: {reporter}->{third} {_pct(rise1)} and {partner}<-{third} {_pct(rise2)}, "
                     f"last {REROUTE_MONTHS} months vs the {REROUTE_MONTHS} before"
                     + (" - possible rerouting" if hit else "")),
            "rests_on": basis})
    for side, series, who in (("exports", exports, f"{reporter} exports to {partner}"),
                              ("imports", imports, f"{partner} imports from {reporter}")):
        for r in _execute(unit_value_history(series)):
            if (first is not None and r["month"] < first) or (last is not None and r["month"] > last):
                continue
            if r["n"] < UV_MIN_HISTORY or not r["mad"]:
                continue
            z = (r["luv"] - r["median"]) / (MAD_TO_SD * r["mad"])
            at = Month.from_index(r["month"])
            if abs(z) >= FLAG_Z:
                signals.append({
                    "kind": "unit value", "country": partner, "signal": True, "side": side,
                    "month": str(at), "usd_per_kg": r["uv_now"], "z": z,
                    "text": f"{who}: unit value {r['uv_now']:,.2f} USD/kg in {at}, "
                            f"robust z {z:+.1f} against the median {math.exp(r['median']):,.2f}",
                    "rests_on": f"{who}, value and weight of {at} against "
                                f"{int(r['n'])} earlier month(s)"})
    return signals


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v:+.0f}%"
