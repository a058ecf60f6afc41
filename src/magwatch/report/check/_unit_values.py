"""The unit value behind a claim (value over net weight, US dollars per kilogram) and its m/m and
y/y: the monitor's figure, widened by the rounding of the value and the weight it was computed
from (the monitor computes them; this module only bounds them)."""

from __future__ import annotations

from magwatch.periods import Month
from magwatch.report.check._verdict import Figure, _half_unit
from magwatch.report.claims import TextClaim


def _row(lookup, c: TextClaim) -> dict | None:
    mon = lookup.monitor(c, c.period)
    if mon is None:
        return None
    rows = [mon["world"]] + mon["partners"] + mon.get("groups", [])
    return next((r for r in rows if r and r.get("partner") == c.partner), None)


def _bounds(lookup, c: TextClaim, period: str) -> tuple[float, float, list[dict]] | None:
    """The lowest and highest unit value the published value and weight of ``period`` allow."""
    value = lookup.observation(c, c.partner, period, "value_usd")
    weight = lookup.observation(c, c.partner, period)
    if value is None or weight is None:
        return None
    v, w = float(value["value_usd"]), float(weight["net_weight_t"]) * 1000
    hv, hw = _half_unit(v), _half_unit(w / 1000) * 1000
    if w - hw <= 0:
        return None
    return ((v - hv) / (w + hw), (v + hv) / (w - hw),
            [lookup._obs_source(value, f"observed value {period}"),
             lookup._obs_source(weight, f"observed net weight {period}")])


def level(lookup, c: TextClaim) -> tuple[Figure | None, str]:
    row, found = _row(lookup, c), _bounds(lookup, c, c.period)
    if row is None or row.get("unit_value_usd_kg") is None or found is None:
        return None, (f"no data: the store has no value in US dollars and net weight for "
                      f"{c.partner} in {c.period}")
    v = float(row["unit_value_usd_kg"])
    low, high, sources = found
    return Figure(v, min(low, v - 0.005), max(high, v + 0.005), "computed (value / net weight)",
                  sources, row["basis"].get("unit_value_usd_kg", "")), ""


def change(lookup, c: TextClaim, metric: str) -> tuple[Figure | None, str]:
    """The unit value's m/m or y/y (``metric`` unit_value_mom_pct or unit_value_yoy_pct)."""
    row = _row(lookup, c)
    back = 1 if metric == "unit_value_mom_pct" else 12
    base = str(Month.parse(c.period) - back)
    if row is None or row.get(metric) is None:
        return None, f"no data: the store gives no unit value for {c.partner} in both {base} and {c.period}"
    now, then = _bounds(lookup, c, c.period), _bounds(lookup, c, base)
    v = float(row[metric])
    low, high, sources = v - 0.05, v + 0.05, []
    if now is not None and then is not None:
        low = min(low, (now[0] / then[1] - 1) * 100)
        high = max(high, (now[1] / then[0] - 1) * 100)
        sources = now[2] + then[2]
    return Figure(v, low, high, "computed (value / net weight against the base month)", sources,
                  row["basis"].get(metric, "")), ""
