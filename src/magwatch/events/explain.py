"""Explain a month's move: which registry events it follows.

For one month and partner, the events dated from ``lookback`` months before the month
up to its last day are ranked:

1. by **relevance**: how the event's scope relates to the partner and to the commodity,
   each scored yes = 3 (named), all = 2 (applies to every partner / all goods),
   part = 2 (names some partners of an aggregate such as WLD), unspecified = 1, no = 0;
   the two scores add up;
2. then by **timing**: days between the event and the middle of the month (shipments
   are spread over the month, so an event just before or early in the month is closest
   to it); then by date.

The wording is always "follows", never "caused": the ranking orders candidates, it
does not measure an effect. For the top-ranked events that touch both the partner
and the commodity, the event study (window -3:+3) is attached.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from magwatch import params
from magwatch.errors import ParameterError
from magwatch.events import registry
from magwatch.events.series import DEFAULT_COMMODITY, load_series
from magwatch.events.study import event_study
from magwatch.frame import Answer, Frame
from magwatch.periods import Month
from magwatch.store import Store

_SCORE = {"yes": 3, "all": 2, "part": 2, "unspecified": 1, "no": 0}
AGGREGATE_PARTNERS = ("WLD",)


class Explanation(Answer):
    """The events a month's figure follows, as a Frame (one row per event, ranked); the
    figure, its changes and the reading are attributes; ``to_dict()`` for JSON."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data, "events", ("study",))

    @property
    def data(self) -> dict[str, Any]:
        return self.to_dict()

    @property
    def events(self) -> Frame:
        return Frame(self.arrow if self.data["events"] else
                     pa.table({"event_id": pa.array([], pa.string())}))

    def lines(self) -> list[str]:
        return self.data["reading"]


def _partner_relation(scope: list[str] | None, partner: str) -> str:
    if partner in AGGREGATE_PARTNERS:
        if scope is None:
            return "unspecified"
        if scope == [registry.ALL]:
            return "all"
        return "part" if scope else "no"
    return registry.touches(scope, partner)


def explain(store: Store, month: str, *, partner: str = "WLD", commodity: str = DEFAULT_COMMODITY,
            lookback: int = 3, studies: int = 3, reporter: str = "CHN", flow: str = "X") -> Explanation:
    """Events a month's figure follows, ranked; with the figure, its changes and event studies."""
    if month is None:
        raise ParameterError("month", "is required (YYYY-MM)")
    at = Month.parse(month, "month")
    if not 0 <= int(lookback) <= 24:
        raise ParameterError("lookback", f"expected 0-24 months, got {lookback}")
    partner = params.country(partner, "partner", default="WLD")
    commodity = params.commodity(commodity)
    first, last = at.first_day, at.last_day
    middle = first + dt.timedelta(days=(last - first).days / 2)
    start = (at - int(lookback)).first_day

    series = load_series(store, partner=partner, commodity=commodity, reporter=reporter, flow=flow)
    point, prev = series.points.get(first), series.points.get((at - 1).first_day)
    year_ago = series.points.get((at - 12).first_day)
    figure = {
        "period": str(at),
        "net_weight_t": point.net_weight_t if point else None,
        "status": "figure" if point else ("value only, no weight" if first in series.value_only
                                          else "no data"),
        **({"source_file": point.source_file, "source_row": point.source_row,
            "source_url": point.source_url, "vintage": point.vintage} if point else {}),
        "mom_computed_pct": round((point.net_weight_t / prev.net_weight_t - 1) * 100, 1)
        if point and prev and prev.net_weight_t else None,
        "yoy_computed_pct": round((point.net_weight_t / year_ago.net_weight_t - 1) * 100, 1)
        if point and year_ago and year_ago.net_weight_t else None,
        "mom_reported_pct": (c.value if (c := series.reported(first, "mom_pct")) else None),
        "yoy_reported_pct": (c.value if (c := series.reported(first, "yoy_pct")) else None),
    }

    ranked = []
    for e in registry.list_events(store, start=start, end=last).to_pylist():
        tp = _partner_relation(e["partners"], partner)
        tc = registry.touches(e["commodities"], commodity)
        days = (e["event_date"] - middle).days
        ranked.append({
            "event_id": e["event_id"], "event_date": e["event_date"], "event_type": e["event_type"],
            "actor": e["actor"], "summary": e["summary"], "source_url": e["source_url"],
            "touches_partner": tp, "touches_commodity": tc,
            "relevance": _SCORE[tp] + _SCORE[tc],
            "timing": "in the month" if e["event_date"] >= first else
            f"{at - Month.of(e['event_date'])} month(s) before",
            "days_from_mid_month": days,
            "scope_basis": e["scope_basis"],
        })
    ranked.sort(key=lambda r: (-r["relevance"], abs(r["days_from_mid_month"]), r["event_date"]))
    for i, r in enumerate(ranked, start=1):
        r["rank"] = i
    attached: dict[Month, str] = {}
    for r in ranked:
        if r["touches_partner"] in ("no", "unspecified") or r["touches_commodity"] in ("no", "unspecified"):
            continue
        event_month = Month.of(r["event_date"])
        if event_month in attached:
            r["study"] = {"same_as": attached[event_month]}
            continue
        if len(attached) >= studies:
            continue
        study = event_study(store, r["event_id"], partner=partner, commodity=commodity,
                            reporter=reporter, flow=flow)
        d = study.to_dict()
        r["study"] = {"effect_vs_pre_level_pct": d["own_level"]["effect_pct"],
                      "effect_reason": d["own_level"]["reason"],
                      "jump": d["jump"], "interval": d["placebos"]["interval"],
                      "pre_trend": d["pre_trend"]["reason"] or d["pre_trend"]["verdict"],
                      "command": f"magwatch event-study --event {r['event_id']} --partner {partner} "
                                 f"--commodity {commodity}"}
        attached[event_month] = r["event_id"]
    data = {"month": figure["period"], "partner": partner, "commodity": commodity,
            "reporter": reporter, "flow": flow, "lookback_months": int(lookback),
            "window": {"from": start.isoformat(), "to": last.isoformat()},
            "figure": figure, "events": ranked,
            "wording": "events are listed as what the move follows, never as its cause"}
    data["reading"] = _reading(data)
    return Explanation(data)


def _reading(d: dict[str, Any]) -> list[str]:
    f = d["figure"]
    if f["net_weight_t"] is None:
        head = f"{d['month']} {d['partner']} {d['commodity']}: {f['status']}."
    else:
        changes = []
        if f["mom_computed_pct"] is not None:
            changes.append(f"{f['mom_computed_pct']:+.1f}% m/m computed")
        if f["mom_reported_pct"] is not None:
            changes.append(f"{f['mom_reported_pct']:+g}% m/m as reported")
        if f["yoy_computed_pct"] is not None:
            changes.append(f"{f['yoy_computed_pct']:+.1f}% y/y computed")
        if f["yoy_reported_pct"] is not None:
            changes.append(f"{f['yoy_reported_pct']:+g}% y/y as reported")
        tonnes = f"{f['net_weight_t']:,.2f}".rstrip("0").rstrip(".")
        head = (f"{d['month']} {d['partner']} {d['commodity']}: {tonnes} t "
                f"({f['source_file']} row {f['source_row']}){'; ' + ', '.join(changes) if changes else ''}.")
    out = [head]
    if not d["events"]:
        out.append(f"No registry event between {d['window']['from']} and {d['window']['to']}.")
        return out
    out.append(f"The figure follows these events ({d['window']['from']} to {d['window']['to']}), "
               f"most relevant first:")
    for r in d["events"]:
        out.append(f"{r['rank']:>3}. {r['event_date']} {r['event_id']} [{r['event_type']}; partner "
                   f"{r['touches_partner']}, commodity {r['touches_commodity']}; {r['timing']}] "
                   f"{r['summary']}")
        st = r.get("study")
        if st and "same_as" in st:
            out.append(f"       event study: same event month as {st['same_as']}, see its study")
        elif st:
            eff = (f"{st['effect_vs_pre_level_pct']:+.1f}% against the pre-event level"
                   if st["effect_vs_pre_level_pct"] is not None else st["effect_reason"])
            jump = (f"; {st['jump']['from']}->{st['jump']['to']} {st['jump']['mom_pct']:+.1f}% m/m"
                    if st["jump"] else "")
            out.append(f"       event study: {eff}{jump} ({st['command']})")
    return out
