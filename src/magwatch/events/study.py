"""Event studies: what a monthly series did around an event, against stated baselines.

For an event date, month 0 is the month that contains it; the window runs from
``-pre`` to ``+post`` months. On the net-weight series of one partner and commodity
(:mod:`magwatch.events.series`) the study reports:

* **levels** before (months -pre..-1) and after (0..+post), with the months that are gaps;
* **change against the series' own pre-event level**: each after-month against the mean
  of the before-months (needs at least :data:`MIN_PRE` before-months). The *effect* is the
  mean of these changes, in percent;
* **change against the same months a year earlier scaled by the pre-event trend**:
  counterfactual(t) = y(t-12) x sum y(m) / sum y(m-12) over before-months m where both
  exist. Without such a pair, or without y(t-12), it says so and prints no number;
* **year-on-year** for each after-month: computed where y(t-12) is in the data, otherwise
  the source's reported y/y labelled "as reported", otherwise "no data";
* a **pre-trend check**: a least-squares line through the before-months (at least
  :data:`MIN_TREND` of them); the drift it implies by the after-months is compared with
  the effect;
* **placebos**: the same computation at the same calendar window in earlier years, and at
  the event date for partners and commodities the event does not touch. With at least
  :data:`MIN_PLACEBOS` of them, the effect E gets a plain interval
  [(1+E)/(1+Pmax) - 1, (1+E)/(1+Pmin) - 1] (changes as fractions): the effect net of
  the largest and smallest change the same computation finds where no event was
  planted (seasonality, noise). It is a range, not a confidence interval.

Every figure names its source row; a number that cannot be computed is replaced by
the reason.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pyarrow as pa

from magwatch.codes import is_aggregate, is_known
from magwatch import params
from magwatch.errors import NoDataError, ParameterError
from magwatch.events import registry
from magwatch.events.series import (
    DEFAULT_COMMODITY, Series, load_series, partners_with_data, commodities_with_data,
)
from magwatch.frame import Answer, Frame
from magwatch.periods import Month
from magwatch.store import Store

MIN_PRE = 2
MIN_TREND = 3
MIN_PLACEBOS = 2
MAX_PLACEBO_YEARS = 15
DEFAULT_WINDOW = (3, 3)
_WINDOW = re.compile(r"\s*-?(\d{1,2})\s*:\s*\+?(\d{1,2})\s*")


def parse_window(window: str | tuple[int, int] | None) -> tuple[int, int]:
    """``"-3:+3"`` (or ``(3, 3)``) as (months before, months after)."""
    if window is None:
        return DEFAULT_WINDOW
    if isinstance(window, (tuple, list)):
        pre, post = (abs(int(window[0])), int(window[1]))
    else:
        m = _WINDOW.fullmatch(str(window))
        if not m:
            raise ParameterError("window", f"expected -PRE:+POST such as -3:+3, got {window!r}")
        pre, post = int(m[1]), int(m[2])
    if not 1 <= pre <= 24 or not 0 <= post <= 24:
        raise ParameterError("window", f"months before must be 1-24 and after 0-24, got -{pre}:+{post}")
    return pre, post


def _pct(new: float, base: float) -> float:
    return round((new / base - 1.0) * 100.0, 1)


def _by_month(values: dict) -> dict[Month, float]:
    """Figures keyed by :class:`Month` (the series keys them by a date or a Month)."""
    return {Month.parse(p): v for p, v in values.items()}


# -- the computations (pure: a dict of period -> value in, numbers or reasons out) -----------


def own_level(values: dict, month0: Month | dt.date, pre: int, post: int) -> dict[str, Any]:
    """Changes of the after-months against the mean of the before-months."""
    values, month0 = _by_month(values), Month.parse(month0)
    before = (month0 - pre).until(month0 - 1)
    after = month0.until(month0 + post)
    have_pre = [p for p in before if p in values]
    have_post = [p for p in after if p in values]
    out: dict[str, Any] = {
        "before": [str(p) for p in have_pre], "before_gaps": [str(p) for p in before if p not in values],
        "after": [str(p) for p in have_post], "after_gaps": [str(p) for p in after if p not in values],
        "pre_level_t": None, "post_level_t": None, "changes_pct": {}, "effect_pct": None, "reason": None,
    }
    if have_post:
        out["post_level_t"] = round(float(np.mean([values[p] for p in have_post])), 2)
    if len(have_pre) < MIN_PRE:
        out["reason"] = (f"too sparse: {len(have_pre)} of {pre} before-months in the data "
                         f"(at least {MIN_PRE} needed)")
        return out
    level = float(np.mean([values[p] for p in have_pre]))
    out["pre_level_t"] = round(level, 2)
    if level <= 0:
        out["reason"] = "pre-event level is zero"
        return out
    if not have_post:
        out["reason"] = "no after-month in the data"
        return out
    changes = {str(p): _pct(values[p], level) for p in have_post}
    out["changes_pct"] = changes
    out["effect_pct"] = round(float(np.mean(list(changes.values()))), 1)
    return out


def year_earlier_scaled(values: dict, month0: Month | dt.date, pre: int,
                        post: int) -> dict[str, Any]:
    """Counterfactual: the same months a year earlier, scaled by the before-months' ratio."""
    values, month0 = _by_month(values), Month.parse(month0)
    before = (month0 - pre).until(month0 - 1)
    after = month0.until(month0 + post)
    pairs = [p for p in before if p in values and p - 12 in values]
    out: dict[str, Any] = {"pairs": [str(p) for p in pairs], "scale": None,
                           "counterfactual_t": {}, "changes_pct": {}, "effect_pct": None,
                           "reason": None}
    if not pairs:
        missing = [f"{p} (no {'figure' if p not in values else f'year-earlier figure {p - 12}'})"
                   for p in before]
        out["reason"] = ("not computable: no before-month has both its own and its year-earlier "
                         "figure in the data: " + ", ".join(missing))
        return out
    base = sum(values[p - 12] for p in pairs)
    if base <= 0:
        out["reason"] = "not computable: year-earlier before-months sum to zero"
        return out
    scale = sum(values[p] for p in pairs) / base
    out["scale"] = round(scale, 4)
    usable = [p for p in after if p in values and p - 12 in values]
    if not usable:
        gaps = [str(p - 12) for p in after if p - 12 not in values]
        out["reason"] = ("not computable: the year-earlier months of the after-months are not in "
                         "the data" + (f" ({', '.join(gaps)})" if gaps else ""))
        return out
    for p in usable:
        cf = values[p - 12] * scale
        out["counterfactual_t"][str(p)] = round(cf, 2)
        out["changes_pct"][str(p)] = _pct(values[p], cf)
    out["effect_pct"] = round(float(np.mean(list(out["changes_pct"].values()))), 1)
    skipped = [str(p) for p in after if p not in usable]
    if skipped:
        out["note"] = f"after-months without a counterfactual: {', '.join(skipped)}"
    return out


def pre_trend(values: dict, month0: Month | dt.date, pre: int, post: int,
              effect_pct: float | None) -> dict[str, Any]:
    """Was the series already moving? A line through the before-months, compared with the effect."""
    values, month0 = _by_month(values), Month.parse(month0)
    before = [(-k, month0 - k) for k in range(pre, 0, -1)]
    pts = [(k, values[p]) for k, p in before if p in values]
    out: dict[str, Any] = {"slope_pct_per_month": None, "drift_pct": None, "verdict": None,
                           "reason": None}
    if len(pts) < MIN_TREND:
        out["reason"] = (f"too sparse for a pre-trend check: {len(pts)} before-month(s) in the data "
                         f"(at least {MIN_TREND} needed)")
        return out
    x = np.array([k for k, _ in pts], dtype=float)
    y = np.array([v for _, v in pts], dtype=float)
    slope = float(np.polyfit(x, y, 1)[0])
    level = float(y.mean())
    after_offsets = [k for k in range(0, post + 1) if month0 + k in values] or list(range(0, post + 1))
    distance = float(np.mean(after_offsets)) - float(x.mean())
    out["slope_pct_per_month"] = round(slope / level * 100.0, 1) if level else None
    out["drift_pct"] = round(slope * distance / level * 100.0, 1) if level else None
    if level and level + slope * distance <= 0:
        out["note"] = ("extended in a straight line, the pre-event path would reach zero by the "
                       "after-months; the own-level counterfactual does not describe this path")
    if effect_pct is None or out["drift_pct"] is None:
        out["verdict"] = "no effect to compare with"
    elif out["drift_pct"] * effect_pct < 0:
        out["verdict"] = (f"the pre-event trend ({out['slope_pct_per_month']:+.1f}% of the pre-event "
                          f"level per month) runs against the measured change, so it does not "
                          f"account for it")
    elif abs(out["drift_pct"]) >= 0.5 * abs(effect_pct):
        out["verdict"] = (f"the pre-event trend alone would move the series {out['drift_pct']:+.1f}% "
                          f"by the after-months, at least half the measured change: read the "
                          f"effect with care")
    else:
        out["verdict"] = (f"the pre-event path is flat next to the change (trend implies "
                          f"{out['drift_pct']:+.1f}% by the after-months)")
    return out


def placebo_interval(effect_pct: float | None, placebo_effects: list[float]) -> dict[str, Any]:
    """[effect - max(placebo), effect - min(placebo)] from at least MIN_PLACEBOS placebos."""
    n = len(placebo_effects)
    if effect_pct is None:
        return {"low_pct": None, "high_pct": None, "n": n,
                "reason": "no effect estimate to put an interval around"}
    if n < MIN_PLACEBOS:
        return {"low_pct": None, "high_pct": None, "n": n,
                "reason": f"too sparse for a placebo interval: {n} computable placebo(s), "
                          f"at least {MIN_PLACEBOS} needed"}
    lo, hi = min(placebo_effects), max(placebo_effects)
    if hi <= -100:
        return {"low_pct": None, "high_pct": None, "n": n,
                "reason": "a placebo change of -100% leaves no ratio to compare with"}
    ratio = 1 + effect_pct / 100
    low = round((ratio / (1 + hi / 100) - 1) * 100, 1)
    high = round((ratio / (1 + lo / 100) - 1) * 100, 1) if lo > -100 else None
    return {"low_pct": low, "high_pct": high, "n": n,
            "placebo_min_pct": round(lo, 1), "placebo_max_pct": round(hi, 1),
            "excludes_zero": low > 0 or (high is not None and high < 0), "reason": None}


# -- the study -----------------------------------------------------------------------------


class EventStudy(Answer):
    """An event study's result as a Frame of its months; the placebos, the effect and the
    reading are attributes (``placebos`` as a frame too); ``to_dict()`` for JSON,
    ``lines()`` for a plain reading."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data, "months")

    @property
    def data(self) -> dict[str, Any]:
        return self.to_dict()

    @property
    def months(self) -> Frame:
        return Frame(self.arrow)

    @property
    def placebos(self) -> Frame:
        return Frame(pa.Table.from_pylist(self.data["placebos"]["runs"]) if self.data["placebos"]["runs"]
                     else pa.table({"kind": pa.array([], pa.string())}))

    @property
    def effect_pct(self) -> float | None:
        return self.data["own_level"]["effect_pct"]

    @property
    def interval(self) -> dict[str, Any]:
        return self.data["placebos"]["interval"]

    def lines(self) -> list[str]:
        return self.data["reading"]


def _resolve(store: Store, event: str | dt.date) -> tuple[dt.date, list[dict[str, Any]]]:
    if isinstance(event, dt.date):
        return event, registry.events_on(store, event)
    text = str(event).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise ParameterError("event", f"not a valid date: {text!r}") from None
        return day, registry.events_on(store, day)
    found = registry.get_event(store, text)
    if found is None:
        raise ParameterError("event", f"no event with id {text!r} (list them with 'magwatch events')")
    return found["event_date"], [found]


def _union(scopes: list[list[str] | None]) -> list[str] | None:
    if not scopes or any(s is None for s in scopes):
        return None
    if any(s == [registry.ALL] for s in scopes):
        return [registry.ALL]
    return sorted({c for s in scopes for c in s})


def _values(series: Series) -> dict[dt.date, float]:
    return {p: pt.net_weight_t for p, pt in series.points.items()}


def _alt_text(alts: list[dict[str, Any]]) -> str | None:
    if not alts:
        return None
    parts = []
    for a in alts:
        fig = (f"{a['net_weight_t']:,.2f} t" if a["net_weight_t"] is not None
               else f"${a['value_usd']:,.0f} (value only)" if a["value_usd"] is not None else "no figure")
        parts.append(f"{fig} ({a['source_file']} row {a['source_row']})")
    return "; ".join(parts)


def _month_rows(series: Series, month0: Month, pre: int, post: int, own: dict,
                scaled: dict) -> list[dict[str, Any]]:
    rows = []
    for k in range(-pre, post + 1):
        p = month0 + k
        day = p.first_day
        pt = series.points.get(day)
        prev = series.points.get((p - 1).first_day)
        ya = series.points.get((p - 12).first_day)
        mom, yoy = series.reported(day, "mom_pct"), series.reported(day, "yoy_pct")
        status = "figure" if pt else ("value only, no weight" if day in series.value_only else "no data")
        rows.append({
            "offset": k, "period": str(p),
            "phase": "before" if k < 0 else ("event month" if k == 0 else "after"),
            "net_weight_t": pt.net_weight_t if pt else None, "status": status,
            "source_file": pt.source_file if pt else None, "source_row": pt.source_row if pt else None,
            "source_url": pt.source_url if pt else None, "vintage": pt.vintage if pt else None,
            "alternatives": _alt_text((pt.alternatives if pt else series.value_only.get(day, []))),
            "mom_computed_pct": _pct(pt.net_weight_t, prev.net_weight_t) if pt and prev and prev.net_weight_t else None,
            "mom_reported_pct": mom.value if mom else None,
            "yoy_computed_pct": _pct(pt.net_weight_t, ya.net_weight_t) if pt and ya and ya.net_weight_t else None,
            "yoy_reported_pct": yoy.value if yoy else None,
            "reported_source_url": (yoy or mom).source_url if (yoy or mom) else None,
            "year_earlier_t": ya.net_weight_t if ya else None,
            "year_earlier_row": ya.source_row if ya else None,
            "change_vs_pre_level_pct": own["changes_pct"].get(str(p)) if k >= 0 else None,
            "scaled_counterfactual_t": scaled["counterfactual_t"].get(str(p)) if k >= 0 else None,
            "change_vs_scaled_pct": scaled["changes_pct"].get(str(p)) if k >= 0 else None,
        })
    return rows


def _year_on_year(series: Series, month0: Month, post: int) -> list[dict[str, Any]]:
    out = []
    for k in range(0, post + 1):
        p = month0 + k
        pt, ya = series.points.get(p.first_day), series.points.get((p - 12).first_day)
        claim = series.reported(p.first_day, "yoy_pct")
        row: dict[str, Any] = {"period": str(p), "year_earlier": str(p - 12)}
        if pt and ya and ya.net_weight_t:
            row.update(basis="computed", yoy_pct=_pct(pt.net_weight_t, ya.net_weight_t),
                       rows=[pt.source_row, ya.source_row],
                       reported_yoy_pct=claim.value if claim else None)
        elif claim is not None:
            row.update(basis="as reported", yoy_pct=claim.value, source_url=claim.source_url,
                       why=f"{p - 12} is not in the data" if not ya else f"{p} is not in the data")
        else:
            row.update(basis="no data", yoy_pct=None,
                       why="neither the year-earlier figure nor a reported y/y change is in the data")
        out.append(row)
    return out


def _placebos(store: Store, series: Series, month0: Month, pre: int, post: int,
              partners_scope: list[str] | None, commodities_scope: list[str] | None,
              event_known: bool) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    notes: list[str] = []
    values = _values(series)
    # same calendar window in earlier years
    first = None if series.first is None else Month.parse(series.first)
    for years in range(1, MAX_PLACEBO_YEARS + 1):
        m0 = month0 - 12 * years
        if first is None or m0 + post < first:
            break
        r = own_level(values, m0, pre, post)
        runs.append({"kind": "calendar", "label": f"{m0 - pre}..{m0 + post}",
                     "partner": series.partner, "commodity": series.commodity,
                     "effect_pct": r["effect_pct"], "reason": r["reason"]})
    lo, hi = (month0 - pre).first_day, (month0 + post).first_day
    # partners the event does not touch
    if not event_known:
        notes.append("untouched partners/commodities: no registry event on this date, so which "
                     "partners and commodities it leaves untouched is unknown")
    elif partners_scope is None:
        notes.append("untouched partners: the event's partner scope is not stated")
    elif partners_scope == [registry.ALL]:
        notes.append("untouched partners: none, the event applies to all partners")
    elif any(is_known(c) and is_aggregate(c) for c in partners_scope):
        notes.append("untouched partners: not attempted, the event names an aggregate "
                     "(membership is not modelled here)")
    else:
        candidates = [c for c in partners_with_data(store, start=lo, end=hi, commodity=series.commodity,
                                                    reporter=series.reporter, flow=series.flow)
                      if c != series.partner and c not in partners_scope
                      and is_known(c) and not is_aggregate(c)]
        if not candidates:
            notes.append("untouched partners: none has data in the window")
        for c in candidates:
            other = load_series(store, partner=c, commodity=series.commodity,
                                reporter=series.reporter, flow=series.flow)
            r = own_level(_values(other), month0, pre, post)
            runs.append({"kind": "partner", "label": c, "partner": c, "commodity": series.commodity,
                         "effect_pct": r["effect_pct"], "reason": r["reason"]})
    if event_known:
        if commodities_scope is None:
            notes.append("untouched commodities: the event's commodity scope is not stated")
        elif commodities_scope == [registry.ALL]:
            notes.append("untouched commodities: none, the event applies to all goods")
        else:
            candidates = [c for c in commodities_with_data(store, start=lo, end=hi, partner=series.partner,
                                                           reporter=series.reporter, flow=series.flow)
                          if c != series.commodity and c not in commodities_scope]
            if not candidates:
                notes.append("untouched commodities: none has data in the window")
            for c in candidates:
                other = load_series(store, partner=series.partner, commodity=c,
                                    reporter=series.reporter, flow=series.flow)
                r = own_level(_values(other), month0, pre, post)
                runs.append({"kind": "commodity", "label": c, "partner": series.partner, "commodity": c,
                             "effect_pct": r["effect_pct"], "reason": r["reason"]})
    return {"runs": runs, "notes": notes}


def event_study(store: Store, event: str | dt.date, *, partner: str = "WLD",
                commodity: str = DEFAULT_COMMODITY, window: str | tuple[int, int] | None = None,
                reporter: str = "CHN", flow: str = "X") -> EventStudy:
    """Study one event (registry id or a date YYYY-MM-DD) on one monthly series."""
    pre, post = parse_window(window)
    partner = params.country(partner, "partner", default="WLD")
    commodity = params.commodity(commodity)
    day, events = _resolve(store, event)
    month0 = Month.parse(day, "event")          # refuses far years: the window stays in range
    series = load_series(store, partner=partner, commodity=commodity, reporter=reporter, flow=flow)
    if not series.points:
        raise NoDataError(f"no monthly net-weight figures for {reporter} {flow} {commodity} "
                          f"partner {partner} in the store")
    values = _values(series)
    own = own_level(values, month0, pre, post)
    scaled = year_earlier_scaled(values, month0, pre, post)
    trend = pre_trend(values, month0, pre, post, own["effect_pct"])
    p_scope = _union([e["partners"] for e in events]) if events else None
    c_scope = _union([e["commodities"] for e in events]) if events else None
    placebos = _placebos(store, series, month0, pre, post, p_scope, c_scope, bool(events))
    effects = [r["effect_pct"] for r in placebos["runs"] if r["effect_pct"] is not None]
    placebos["interval"] = placebo_interval(own["effect_pct"], effects)
    months = _month_rows(series, month0, pre, post, own, scaled)
    jump = None
    p0, pm1 = series.points.get(month0.first_day), series.points.get((month0 - 1).first_day)
    if p0 and pm1 and pm1.net_weight_t:
        claim = series.reported(month0.first_day, "mom_pct")
        jump = {"from": str(Month.parse(pm1.period)), "to": str(month0), "from_t": pm1.net_weight_t,
                "to_t": p0.net_weight_t, "mom_pct": _pct(p0.net_weight_t, pm1.net_weight_t),
                "rows": [pm1.source_row, p0.source_row],
                "reported_mom_pct": claim.value if claim else None}
    ids = {e["event_id"] for e in events}
    in_window = [e for e in registry.list_events(store, start=(month0 - pre).first_day,
                                                 end=(month0 + post).last_day,
                                                 partner=partner if partner != "WLD" else None,
                                                 commodity=commodity).to_pylist()
                 if e["event_id"] not in ids]
    touched = []
    for e in events:
        tp = registry.touches(e["partners"], partner if partner != "WLD" else None)
        tc = registry.touches(e["commodities"], commodity)
        touched.append({"event_id": e["event_id"], "touches_partner": tp, "touches_commodity": tc})
    data = {
        "event_date": day,
        "events": [{k: e[k] for k in ("event_id", "event_date", "actor", "event_type", "summary",
                                      "source_url", "partners", "commodities", "scope_basis",
                                      "scope_note")} for e in events],
        "scope_match": touched,
        "series": {"reporter": reporter, "flow": flow, "partner": partner, "commodity": commodity,
                   "measure": "net weight, tonnes",
                   "table": "observation_latest (monthly spans; one figure per month: rows with a "
                            "weight first, then latest vintage, then lowest source row)"},
        "window": {"before": pre, "after": post, "month0": str(month0),
                   "from": str(month0 - pre), "to": str(month0 + post)},
        "months": months,
        "own_level": own,
        "year_earlier_scaled": scaled,
        "year_on_year": _year_on_year(series, month0, post),
        "jump": jump,
        "pre_trend": trend,
        "placebos": placebos,
        "other_events_in_window": [
            {"event_id": e["event_id"], "event_date": e["event_date"], "event_type": e["event_type"],
             "summary": e["summary"], "offset": Month.of(e["event_date"]) - month0}
            for e in in_window],
        "computed_or_reported": "levels, changes and placebos are computed here from the listed "
                                "source rows; fields named *_reported and basis 'as reported' are "
                                "the sources' own statements",
    }
    data["reading"] = _reading(data, series)
    return EventStudy(data)


def _t(v: float | None) -> str:
    return "-" if v is None else f"{v:,.2f}".rstrip("0").rstrip(".") + " t"


def _reading(d: dict[str, Any], series: Series) -> list[str]:
    """The study in sentences, section by section."""
    return (_reading_events(d) + _reading_window(d) + _reading_effects(d) + _reading_checks(d)
            + _reading_others(d))


def _reading_events(d: dict[str, Any]) -> list[str]:
    out = []
    if d["events"]:
        for e in d["events"]:
            out.append(f"Event {e['event_id']} ({e['event_date']}, {e['event_type']}, {e['actor']}): "
                       f"{e['summary']} [{e['source_url']}]")
    else:
        out.append(f"Date {d['event_date']}: no registry event on this date; studying the date itself.")
    for m in d["scope_match"]:
        if "no" in (m["touches_partner"], m["touches_commodity"]):
            out.append(f"Note: by its scope, {m['event_id']} does not touch this "
                       f"{'partner' if m['touches_partner'] == 'no' else 'commodity'}; "
                       f"the study measures the series all the same.")
    return out


def _reading_window(d: dict[str, Any]) -> list[str]:
    """The series, the window and the months after the event with their figures."""
    s, w, own = d["series"], d["window"], d["own_level"]
    out = [f"Series: {s['reporter']} {'exports' if s['flow'] == 'X' else 'imports'} of {s['commodity']} "
           f"to {s['partner']}, {s['measure']}; window {w['from']}..{w['to']} (month 0 = {w['month0']})."]
    gaps_b = f"; gaps: {', '.join(own['before_gaps'])}" if own["before_gaps"] else ""
    gaps_a = f"; gaps: {', '.join(own['after_gaps'])}" if own["after_gaps"] else ""
    out.append(f"Before: {len(own['before'])} of {w['before']} months in the data, mean "
               f"{_t(own['pre_level_t']) if own['pre_level_t'] is not None else 'not computed'}{gaps_b}.")
    out.append(f"After: {len(own['after'])} of {w['after'] + 1} months in the data, mean "
               f"{_t(own['post_level_t'])}{gaps_a}.")
    for m in d["months"]:
        if m["offset"] >= 0 and m["net_weight_t"] is not None:
            extra = []
            if m["mom_computed_pct"] is not None:
                extra.append(f"{m['mom_computed_pct']:+.1f}% m/m computed")
            if m["mom_reported_pct"] is not None:
                extra.append(f"{m['mom_reported_pct']:+g}% m/m as reported")
            out.append(f"  {m['period']}: {_t(m['net_weight_t'])} ({m['source_file']} row {m['source_row']}"
                       f"{'; ' + '; '.join(extra) if extra else ''})")
    return out


def _changes(counterfactual: dict[str, Any]) -> str:
    """A counterfactual's change in each after-month, in per cent, as a sentence lists them."""
    return ", ".join(f"{k} {v:+.1f}%" for k, v in counterfactual["changes_pct"].items())


def _reading_effects(d: dict[str, Any]) -> list[str]:
    """The effect against the own pre-event level, the scaled year-earlier months, and y/y."""
    own, sc, out = d["own_level"], d["year_earlier_scaled"], []
    if own["effect_pct"] is None:
        out.append(f"Against the own pre-event level: {own['reason']}.")
    else:
        out.append(f"Against the own pre-event level ({_t(own['pre_level_t'])}): {_changes(own)}; "
                   f"mean {own['effect_pct']:+.1f}%.")
    if sc["effect_pct"] is None:
        out.append(f"Against the year-earlier months scaled by the pre-event trend: {sc['reason']}.")
    else:
        out.append(f"Against the year-earlier months scaled by the pre-event ratio {sc['scale']} "
                   f"(pairs {', '.join(sc['pairs'])}): {_changes(sc)}; mean {sc['effect_pct']:+.1f}%.")
    parts = []
    for y in d["year_on_year"]:
        if y["basis"] == "computed":
            parts.append(f"{y['period']} {y['yoy_pct']:+.1f}% computed (rows {y['rows'][0]}, {y['rows'][1]})")
        elif y["basis"] == "as reported":
            parts.append(f"{y['period']} {y['yoy_pct']:+g}% as reported ({y['why']})")
        else:
            parts.append(f"{y['period']} no data")
    out.append("Year on year: " + "; ".join(parts) + ".")
    return out


def _reading_checks(d: dict[str, Any]) -> list[str]:
    """The jump into the event month, the pre-trend, the placebos and their interval."""
    out = []
    if d["jump"]:
        j = d["jump"]
        rep = f"; reported {j['reported_mom_pct']:+g}%" if j["reported_mom_pct"] is not None else ""
        out.append(f"Event month against the month before: {j['from']} {_t(j['from_t'])} -> {j['to']} "
                   f"{_t(j['to_t'])}, {j['mom_pct']:+.1f}% computed{rep}.")
    t = d["pre_trend"]
    out.append(f"Pre-trend: {t['reason'] or t['verdict']}"
               f"{'; ' + t['note'] if t.get('note') else ''}.")
    pl = d["placebos"]
    for r in pl["runs"]:
        val = f"{r['effect_pct']:+.1f}%" if r["effect_pct"] is not None else r["reason"]
        out.append(f"  placebo ({r['kind']}) {r['label']}: {val}")
    for n in pl["notes"]:
        out.append(f"  placebo note: {n}")
    iv = pl["interval"]
    if iv["reason"]:
        out.append(f"Interval: {iv['reason']}.")
    else:
        out.append(f"Interval from {iv['n']} placebos: {iv['low_pct']:+.1f}% to {iv['high_pct']:+.1f}% "
                   f"({'excludes' if iv['excludes_zero'] else 'includes'} zero).")
    return out


def _reading_others(d: dict[str, Any]) -> list[str]:
    """Other events in the window, with the figure of the month each falls in."""
    by_period = {m["period"]: m for m in d["months"]}
    out = []
    for e in d["other_events_in_window"]:
        m = by_period.get(str(Month.of(e["event_date"])))
        fig = ""
        if m and m["net_weight_t"] is not None:
            fig = f" -> {m['period']}: {_t(m['net_weight_t'])}"
            if m["mom_computed_pct"] is not None:
                fig += f", {m['mom_computed_pct']:+.1f}% m/m computed"
        out.append(f"Also in the window (month {e['offset']:+d}): {e['event_id']} {e['event_date']} "
                   f"{e['summary']}{fig}")
    if d["other_events_in_window"]:
        out.append("The months after those events mix their effects with this one's.")
    return out
