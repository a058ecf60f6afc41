"""The dashboard: server-rendered Jinja2 pages over the same handle calls as the API.

Pages: overview (``/``), partner (``/partner/{code}``), events (``/events``),
event study (``/events/study``), provenance (``/provenance``), risk (``/risk``).
Every figure links to its provenance page; all data is escaped by Jinja's
autoescaping, and links are only made from http(s) URLs.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Optional
from urllib.parse import urlencode, urlparse

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Undefined
from markupsafe import Markup

from magwatch import params, records
from magwatch.analytics import figures
from magwatch.codes import MAGNET_LINE
from magwatch.errors import MagwatchError, ParameterError
from magwatch.periods import Month
from magwatch.render import jsonable
from magwatch.report.words import (
    country_phrase, country_possessive, country_words, day_words, event_type_words, metric_words, month_words,
    plain_words, subject,
)
from magwatch.web import problems
from magwatch.web.api import provenance_rows, query_within_limits, run_scenario
from magwatch.web.limits import MAX_SCENARIO_PATHS, MAX_SEED

router = APIRouter(include_in_schema=False, dependencies=[Depends(query_within_limits)])
templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))

DEFAULT = {"reporter": "CHN", "commodity": MAGNET_LINE, "flow": "X"}


# -- filters -------------------------------------------------------------------------------

def _missing(value) -> bool:
    return value is None or isinstance(value, Undefined)


def _unusable(value) -> bool:
    """NaN or infinite: a stored figure the analytics read as no figure (series.usable)."""
    return isinstance(value, float) and not math.isfinite(value)


def tonnes(value) -> str:
    if _missing(value):
        return "no data"
    if _unusable(value):
        return "not a usable figure"
    return f"{value:,.0f} t" if float(value).is_integer() else f"{value:,.1f} t"


def pct(value, sign: bool = True) -> str:
    if _missing(value):
        return "no data"
    if _unusable(value):
        return "not a usable figure"
    return f"{value:+,.1f}%" if sign else f"{value:,.1f}%"


def num(value, digits: int = 1) -> str:
    if _missing(value):
        return "-"
    if _unusable(value):
        return "not a usable figure"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def reader_text(value) -> str:
    """The monitor's notes as a reader reads them: months and destinations in words
    ("lowest since 2025-06" -> "lowest since June 2025", "DEU, KOR" -> "Germany, South Korea"),
    tonnes with a thousands separator ("5324.0 t" -> "5,324 t"), one destination singular."""
    if _missing(value):
        return ""
    text = plain_words(str(value)).removeprefix("none: ")    # the basis word 'none' says nothing here
    text = re.sub(r"(?<![\d,.])(\d{4,})(?:\.0)?(\.\d+)? t\b",
                  lambda m: f"{int(m.group(1)):,}{m.group(2) or ''} t", text)
    return re.sub(r"\b1 destinations\b", "1 destination", text)


def http_url(value) -> str | None:
    """The URL if it is http(s), else None: data never becomes a javascript: link."""
    if not value:
        return None
    parsed = urlparse(str(value))
    return str(value) if parsed.scheme in ("http", "https") and parsed.netloc else None


def outlet(value) -> str:
    return records.outlet(str(value or ""), "source")


def json_script(value) -> Markup:
    """JSON for a <script type="application/json"> block, with <, > and & escaped."""
    text = json.dumps(jsonable(value), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def provenance_link(partner: str, period: str, **extra) -> str:
    query = {"partner": partner, "period": period}
    query.update({k: v for k, v in extra.items() if v and DEFAULT.get(k) != v})
    return "/provenance?" + urlencode(query)


templates.env.filters.update(tonnes=tonnes, pct=pct, num=num, http_url=http_url, outlet=outlet,
                             json_script=json_script, month_words=month_words,
                             country_words=country_words, country_phrase=country_phrase,
                             event_type_words=event_type_words, metric_words=metric_words,
                             reader_text=reader_text, day_words=day_words)
templates.env.globals.update(provenance_link=provenance_link, subject=subject, possessive=country_possessive)
templates.env.filters.update(sector_words=lambda v: sector_words(v))
templates.env.filters.update(flag_words=records.flag_words)


def _render(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status)


def _error_page(request: Request, exc: MagwatchError, context: dict | None = None) -> HTMLResponse:
    return problem_page(request, problems.from_error(exc), context)


def problem_page(request: Request, response, context: dict | None = None) -> HTMLResponse:
    """The error page for a problem answer: its title and one-line detail, its status."""
    body = json.loads(response.body)
    ctx = {"title": body["title"], "problem": body, **(context or {})}
    page = _render(request, "error.html", ctx, status=response.status_code)
    if "retry-after" in response.headers:
        page.headers["Retry-After"] = response.headers["retry-after"]
    return page


#: Paths of the dashboard pages: their refused parameters are shown on the error page.
PAGE_PREFIXES = ("/partner/", "/events", "/provenance", "/risk")


def is_page(path: str) -> bool:
    return path == "/" or path.startswith(PAGE_PREFIXES)


def _read(request: Request, key, call):
    return request.app.state.access.read(key, call)


def _month_coverage(request: Request, reporter: str, commodity: str, flow: str) -> list[dict]:
    """Months with any figure, newest first: ``period`` (``2026-01..2026-02`` for a January and
    February published combined), ``world`` (a world total held) and ``partners`` (how many
    destinations have a weight)."""
    def call(mw):
        rows = mw.flows(reporter=reporter, commodity=commodity, flow=flow, months=0).to_pylist()
        out: dict[str, dict] = {}
        for r in rows:
            if not r["period"] or r["period_months"] not in (1, 2):
                continue
            period = r["period"] if r["period_months"] == 1 else \
                f"{r['period']}..{Month.parse(r['period']) + 1}"
            m = out.setdefault(period, {"period": period, "world": False, "partners": set()})
            if r["net_weight_t"] is None:
                continue
            if r["partner"] == "WLD":
                m["world"] = True
            else:
                m["partners"].add(r["partner"])
        return [{**m, "partners": len(m["partners"])} for _, m in sorted(out.items(), reverse=True)]
    return _read(request, ("page-coverage", reporter, commodity, flow), call)


def _default_month(coverage: list[dict]) -> tuple[str | None, list[str]]:
    """The latest month with a world figure, and plain words for each newer month."""
    newer = []
    for m in coverage:
        if m["world"]:
            return m["period"], newer
        held = f"figures for {m['partners']} destination{'s' * (m['partners'] != 1)}"
        newer.append(f"{month_words(m['period'])} has {held if m['partners'] else 'no figures'} "
                     "but no world total yet")
    return None, newer


#: Concentration needs the world total and at least this many destinations with a figure.
MIN_CONCENTRATION_PARTNERS = 3


def _concentration_note(result: dict) -> str | None:
    """Why no concentration is shown, or None when it can be."""
    conc = result.get("concentration")
    if not result.get("world") or result["world"].get("net_weight_t") is None:
        return "No concentration figure: the month has no world total to take shares of."
    count = (conc or {}).get("partners_with_data") or 0
    if count == 0:
        return "No concentration figure: no destination has a figure this month."
    if count < MIN_CONCENTRATION_PARTNERS:
        return (f"No concentration figure: only {count} destination{'s' * (count != 1)} "
                f"with a figure (needs {MIN_CONCENTRATION_PARTNERS}).")
    return None


def _ranks(partner: dict) -> dict:
    """The computed rank (a destination with a figure) apart from a source's reported rank."""
    reported = [s for s in partner.get("sources") or [] if s.get("role") == "reported rank"]
    computed = partner["rank"] if partner.get("net_weight_t") is not None else None
    value = reported[0].get("value") if reported else None
    return {"computed_rank": computed, "reported_rank": int(value) if value else None,
            "reported_by": reported[0].get("outlet") if reported else None}


#: The destinations the overview can lead with (``?focus=``), as ``magwatch brief --focus``.
FOCUS = ("DEU", "EUU", "USA", "JPN", "KOR", "IND")


def _focus_code(focus: str | None) -> str | None:
    if not focus:
        return None
    code = focus.strip().upper()
    if code not in FOCUS:
        raise ParameterError("focus", f"expected one of {', '.join(FOCUS)}, got {focus!r}")
    return code


def _focus_lead(result: dict, code: str | None) -> dict | None:
    """The focus destination's row of the month (level, m/m, y/y, computed and reported rank,
    share) for the page's lead, or None without a focus. ``row`` is None when the monitor has
    no row for it; ``held`` is how many destinations have a figure (the rank's field)."""
    if code is None:
        return None
    groups = {g["partner"]: g for g in result.get("groups") or []}
    rows = {p["partner"]: {**p, **_ranks(p)} for p in result["partners"]}
    return {"code": code, "name": country_words(code), "phrase": country_phrase(code),
            "group": code in groups, "row": groups.get(code) or rows.get(code),
            "held": sum(1 for p in result["partners"] if p.get("net_weight_t") is not None)}


# -- pages ---------------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def overview(request: Request, month: Optional[str] = None, reporter: str = "CHN",
             commodity: str = MAGNET_LINE, flow: str = "X",
             focus: Optional[str] = None) -> HTMLResponse:
    ctx = {"title": "Overview", "month": month, "reporter": reporter, "commodity": commodity,
           "flow": flow, "months": [], "newer": [], "focus_choices": _focus_choices(),
           "focus": (focus or "").strip().upper()}
    try:
        params.check_query(months={"month": month})
        code = _focus_code(focus)
        coverage = _month_coverage(request, reporter, commodity, flow)
        ctx["months"] = [m["period"] for m in coverage]
        if not month:
            month, ctx["newer"] = _default_month(coverage)
        result, chart = _read(request, ("page-overview", month or None, reporter, commodity, flow, code),
                              lambda mw: _overview_reads(mw, month, reporter, commodity, flow, code))
    except MagwatchError as exc:
        return _error_page(request, exc, ctx)
    anomalies = {a["partner"]: a["reasons"] for a in result["anomalies"]}
    partners = [{**p, **_ranks(p)} for p in result["partners"]]
    ctx.update(result=result, month=result["month"], anomalies=anomalies, partners=partners,
               concentration_note=_concentration_note(result), chart=chart,
               lead=_focus_lead(result, code),
               title=f"{subject(reporter, commodity, flow)}, {month_words(result['month'])}")
    return _render(request, "overview.html", ctx)


def _overview_reads(mw, month, reporter, commodity, flow, focus) -> tuple[dict, dict]:
    """The month's monitor answer and the overview's chart, on one handle (one store open)."""
    result = mw.monitor(month or None, reporter=reporter, commodity=commodity, flow=flow).to_dict()
    return result, _overview_chart(mw, result, reporter, commodity, flow, focus)


def _focus_choices() -> list[dict]:
    return [{"code": c, "name": country_words(c)} for c in FOCUS]


#: Months a chart shows by default, and how many destinations the overview chart draws.
CHART_MONTHS = 24
TOP_DESTINATIONS = 4


def _overview_chart(mw, result: dict, reporter: str, commodity: str, flow: str,
                    focus: str | None = None) -> dict:
    """World and top destinations (and the focus destination, if not among them) over the
    CHART_MONTHS months to the shown month, with events."""
    # a January-February figure's month reads "2026-01..2026-02": the chart ends at its last
    last = Month.parse(str(result["month"]).split("..")[-1])
    first = last + (1 - CHART_MONTHS)
    top = [p["partner"] for p in result["partners"] if p.get("net_weight_t") is not None]
    top = top[:TOP_DESTINATIONS] + ([focus] if focus and focus not in top[:TOP_DESTINATIONS] else [])
    rows = mw.flows(reporter=reporter, commodity=commodity, flow=flow, start=str(first),
                    end=str(last)).to_pylist()
    periods = [str(m) for m in first.until(last)]
    lines = []
    for code in ["WLD", *top]:
        held = {p["period"]: p["net_weight_t"]
                for p in _chart_series([r for r in rows if r["partner"] == code])}
        lines.append({"label": "World" if code == "WLD" else country_words(code),
                      "values": [held.get(p) for p in periods]})
    events = mw.events(commodity=commodity, start=periods[0] + "-01").to_pylist()
    return {"periods": periods, "lines": lines, "events": _chart_events(events, periods),
            "title": f"{subject(reporter, commodity, flow)}, net weight (t), "
                     f"{month_words(periods[0])} to {month_words(periods[-1])}"}


def _chart_events(events: list[dict], periods: list[str]) -> list[dict]:
    """Events inside the chart's months, oldest first and numbered from 1 (chart and table)."""
    inside = sorted((e for e in events if periods[0] <= str(Month.of(e["event_date"])) <= periods[-1]),
                    key=lambda e: (e["event_date"], e["event_id"]))
    return [{"n": i, "date": e["event_date"].isoformat(), "id": e["event_id"], "type": e["event_type"],
             "label": e["actor"], "summary": e["summary"], "source_url": e.get("source_url"),
             "event_type": e["event_type"], "event_date": e["event_date"], "actor": e["actor"],
             "event_id": e["event_id"]}
            for i, e in enumerate(inside, 1)]


@router.get("/partner/{partner}", response_class=HTMLResponse)
def partner_page(request: Request, partner: str, reporter: str = "CHN", commodity: str = MAGNET_LINE,
                 flow: str = "X", code: Optional[str] = None, span: str = "24m"):
    ctx = {"title": f"Partner {partner}", "partner": partner, "reporter": reporter,
           "commodity": commodity, "flow": flow, "span_choice": span}
    try:
        if code is not None:
            return RedirectResponse(f"/partner/{params.country(code, 'code')}", status_code=303)
        code_of = params.country(partner, "partner")
        if code_of != partner:          # a name or lower case: the page's own address
            query = f"?{request.url.query}" if request.url.query else ""
            return RedirectResponse(f"/partner/{code_of}{query}", status_code=303)
        if span not in ("24m", "all"):
            raise ParameterError("span", f"expected 24m or all, got {span!r}")
        rows, events, mirror = _read(request, ("page-partner", partner, reporter, commodity, flow),
                                     lambda mw: _partner_reads(mw, partner, reporter, commodity, flow))
        if not rows:
            from magwatch.errors import NoDataError

            raise NoDataError(f"no monthly figures for {subject(reporter, commodity, flow)} "
                              f"to {country_phrase(partner)}")
    except MagwatchError as exc:
        from magwatch.codes.countries import suggest

        ctx["suggestion"] = suggest(code if code is not None else partner)
        return _error_page(request, exc, ctx)
    series = _chart_series(rows)
    if span == "24m":
        series = series[-CHART_MONTHS:]
    ctx.update(_partner_context(series, rows, events, mirror, partner, reporter, commodity, flow))
    found = _read(request, ("page-partner-unit-values", partner, reporter, commodity, flow),
                  lambda mw: _unit_value_months(mw, partner, reporter, commodity, flow))
    ctx["unit_values"] = [u for u in found if ctx["first"] <= u["period"] <= ctx["last"]]
    ctx.update(_flag_and_code_notes(request, ctx["rows"], partner, reporter, commodity, flow))
    return _render(request, "partner.html", ctx)


def _flag_and_code_notes(request, rows, partner, reporter, commodity, flow) -> dict:
    """The months shown whose cell the source withheld (a reason, no figure) and the code
    changes the series crosses (magwatch.analytics.code_changes)."""
    from magwatch.analytics import code_changes
    from magwatch.codes import related
    from magwatch.records import WITHHELD_FLAGS

    held = [{"period": r["period"], "flag": r["flag"], "source": r["source"]} for r in rows
            if r.get("flag") in WITHHELD_FLAGS]
    others = _read(request, ("page-partner-codes", partner, reporter, commodity, flow),
                   lambda mw: [r for c in sorted(related(commodity)) for r in mw.flows(
                       reporter=reporter, partner=partner, commodity=c, flow=flow).to_pylist()])
    return {"withheld": sorted(held, key=lambda h: h["period"]),
            "code_notes": code_changes.notes_of(code_changes.spans_of(rows + others), commodity)}


def _unit_value_months(mw, partner, reporter, commodity, flow) -> list[dict]:
    """The partner's months with a unit value or a value in another currency, newest first,
    each judged as the monitor judges it (:func:`magwatch.analytics.unit_values.months`)."""
    from magwatch.analytics import unit_values

    chosen = figures.chosen(mw, reporter=reporter, partner=partner, commodity=commodity,
                            flow=flow, months=1).to_pylist()
    raw = mw.flows(reporter=reporter, partner=partner, commodity=commodity, flow=flow).to_pylist()
    prices = unit_values.prices(mw.reference("re_prices").to_pylist(),
                                mw.reference("magnet_intensity").to_pylist())
    return unit_values.months(chosen, raw, prices, commodity)[::-1]


def _partner_reads(mw, partner, reporter, commodity, flow):
    rows = mw.flows(reporter=reporter, partner=partner, commodity=commodity, flow=flow).to_pylist()
    events = mw.events(partner=partner, commodity=commodity).to_pylist()
    return rows, events, _mirror(mw, partner, reporter, commodity, flow)


def _partner_context(series, rows, events, mirror, partner, reporter, commodity, flow) -> dict:
    """The partner page's chart, tables and counts over the months shown."""
    periods = [p["period"] for p in series]
    direction = "to" if flow == "X" else "from"
    chart = {"periods": periods, "events": _chart_events(events, periods),
             "lines": [{"label": f"{direction.capitalize()} {country_phrase(partner)}",
                        "values": [p["net_weight_t"] for p in series]}],
             "title": f"{subject(reporter, commodity, flow)} {direction} {country_phrase(partner)}, "
                      f"net weight (t), {month_words(periods[0])} to {month_words(periods[-1])}"}
    mirrored = {m["period"]: m["import_t"] for m in (mirror or {}).get("months", [])}
    if any(mirrored.get(p) is not None for p in periods):
        chart["mirror"] = [mirrored.get(p) for p in periods]
        chart["mirror_label"] = f"{country_possessive(partner)} imports from {country_words(reporter)} (mirror)"
    shown = [r for r in rows if periods[0] <= r["period"] <= periods[-1]]
    return {"rows": sorted(shown, key=lambda r: (r["period"], r["source_row"] or 0), reverse=True),
            "events": chart["events"], "chart": chart, "first": periods[0], "last": periods[-1],
            "mirror": mirror, "title": chart["title"],
            "with_data": sum(1 for p in series if p["net_weight_t"] is not None), "span": len(series)}


def _mirror(mw, partner: str, reporter: str, commodity: str, flow: str) -> dict | None:
    """The partner's own import figures beside the reporter's exports (analytics.mirror):
    ``months`` (period, partner_period, import_t, status, note) and the explanations;
    None where no mirror applies (imports, an aggregate partner, no exports held)."""
    from magwatch.codes import is_aggregate
    from magwatch.errors import NoDataError

    if flow != "X" or is_aggregate(partner):
        return None
    try:
        found = mw.mirror(partner, reporter=reporter, commodity=commodity).to_dict()
    except (NoDataError, ParameterError):
        return None
    months = found["months"].to_pylist() if found.get("months") is not None else []
    keep = ("period", "partner_period", "import_t", "status", "note")
    return {"months": [{k: m.get(k) for k in keep} for m in months],
            "explanations": list(found.get("explanations") or []), "lag": found.get("lag")}


def _chart_series(rows: list[dict]) -> list[dict]:
    """One figure per month for the chart (a weight first, then the rule of
    :mod:`magwatch.analytics.figures`); months between the first and last with no figure stay
    empty (None)."""
    best: dict[str, dict] = {}
    for r in rows:
        if r["period_months"] != 1:
            continue
        key = (r["net_weight_t"] is None, *figures.sort_key(r))
        if r["period"] not in best or key < best[r["period"]]["_key"]:
            best[r["period"]] = {**r, "_key": key}
    if not best:
        return []
    out = []
    for month in Month.parse(min(best)).until(Month.parse(max(best))):
        r = best.get(str(month))
        out.append({"period": str(month), "net_weight_t": r["net_weight_t"] if r else None})
    return out


@router.get("/events", response_class=HTMLResponse)
def events_page(request: Request, start: Optional[str] = Query(None, alias="from"),
                end: Optional[str] = Query(None, alias="to"),
                event_type: Optional[str] = Query(None, alias="type"),
                partner: Optional[str] = None, commodity: Optional[str] = None) -> HTMLResponse:
    args = dict(start=start or None, end=end or None, event_type=event_type or None,
                partner=partner or None, commodity=commodity or None)
    ctx = {"title": "Events", "args": args, "types": ["export_control", "license", "trade_deal",
                                                        "tariff", "investment", "other"]}
    try:
        params.check_query(days_or_months={"from": args["start"], "to": args["end"]})
        rows = _read(request, ("events", tuple(args.items())), lambda mw: mw.events(**args).arrow)
    except MagwatchError as exc:
        return _error_page(request, exc, ctx)
    from magwatch.events.registry import scope_text

    events = rows.to_pylist()
    for e in events:
        e["partners_text"] = scope_text(e.get("partners"))
        e["commodities_text"] = scope_text(e.get("commodities"))
    ctx["events"] = sorted(events, key=lambda e: e["event_date"], reverse=True)
    return _render(request, "events.html", ctx)


@router.get("/events/study", response_class=HTMLResponse)
def study_page(request: Request, event: str, partner: str = "WLD", commodity: str = MAGNET_LINE,
               window: str = "-3:+3") -> HTMLResponse:
    ctx = {"title": f"Event study {event}", "event": event, "partner": partner, "window": window}
    try:
        params.query_event(event, "event")
        lines, months, heads = _read(request, ("page-study", event, partner, commodity, window),
                                     lambda mw: _study(mw, event, partner, commodity, window))
    except MagwatchError as exc:
        return _error_page(request, exc, ctx)
    ctx.update(lines=[study_words(line) for line in lines], months=months, commodity=commodity,
               heads=heads, title=f"Event study: {heads[0]['title'] if heads else event}")
    return _render(request, "study.html", ctx)


def _study(mw, event, partner, commodity, window):
    study = mw.event_study(event, partner=partner, commodity=commodity, window=window)
    heads = [{"title": f"{e['actor']}, {event_type_words(e['event_type'])}, {_day_words(e['event_date'])}",
              "summary": e["summary"], "id": e["event_id"]} for e in study.to_dict().get("events") or []]
    return study.lines(), study.months.to_pylist(), heads


def _day_words(day) -> str:
    """``4 April 2025`` for a date."""
    return f"{day.day} {month_words(f'{day.year:04d}-{day.month:02d}')}" if hasattr(day, "day") else str(day)


def study_words(line: str) -> str:
    """An event study's reading line in words: event types, days, months, spans of months
    ("January 2025 to July 2025"), the commodity and countries."""
    from magwatch.report.words import COMMODITY_WORDS

    text = re.sub(r"\b(export_control|trade_deal)\b", lambda m: event_type_words(m.group(1)), str(line))
    text = re.sub(r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})\b",
                  lambda m: f"{int(m.group(3))} {month_words(f'{m.group(1)}-{m.group(2)}')}", text)
    text = re.sub(r"\bexports of (\d{8})\b", lambda m: f"{COMMODITY_WORDS.get(m.group(1), 'commodity')} "
                  f"exports (CN {m.group(1)})" if m.group(1) in COMMODITY_WORDS else m.group(0), text)
    text = reader_text(text)
    return re.sub(r"(\b[A-Z][a-z]+ \d{4})\.\.([A-Z][a-z]+ \d{4}\b)", r"\1 to \2", text)


@router.get("/provenance", response_class=HTMLResponse)
def provenance_page(request: Request, partner: str = "WLD", period: Optional[str] = None,
                    reporter: str = "CHN", commodity: str = MAGNET_LINE,
                    flow: Optional[str] = None) -> HTMLResponse:
    ctx = {"title": f"Provenance {partner} {period or ''}", "partner": partner, "period": period,
           "reporter": reporter, "commodity": commodity}
    try:
        if not period:
            raise ParameterError("period", "expected YYYY-MM")
        result = provenance_rows(request.app.state.access, partner=partner, period=period,
                                 reporter=reporter, commodity=commodity, flow=flow)
    except MagwatchError as exc:
        return _error_page(request, exc, ctx)
    ctx["result"] = result
    return _render(request, "provenance.html", ctx)


#: The scenario the risk page reads out when none is chosen, and its paths.
READING_SCENARIO, READING_PATHS = "repeat-2025-04", 2000

SECTOR_WORDS = {"ev_nev": "electric vehicles", "conventional_vehicles": "conventional vehicles",
                "hvac_appliances": "heating, cooling and appliances",
                "consumer_electronics": "consumer electronics", "industrial_motors": "industrial motors",
                "wind": "wind turbines", "elevators": "elevators", "other": "other uses"}


def sector_words(code: str) -> str:
    return SECTOR_WORDS.get(code, str(code).replace("_", " "))


@router.get("/risk", response_class=HTMLResponse)
def risk_page(request: Request, month: Optional[str] = None, scenario: Optional[str] = None,
              paths: int = READING_PATHS, seed: int = 0) -> HTMLResponse:
    from magwatch.risk.scenario import list_scenarios

    scenarios = [{k: v for k, v in s.items() if k != "file"} for s in list_scenarios()]
    scenario = scenario or READING_SCENARIO
    ctx = {"title": "Supply risk", "month": month, "scenarios": scenarios, "scenario": scenario,
           "paths": paths, "seed": seed, "max_paths": MAX_SCENARIO_PATHS}
    try:
        params.check_query(months={"month": month})
        if not 1 <= paths <= MAX_SCENARIO_PATHS:
            raise ParameterError("paths", f"expected 1..{MAX_SCENARIO_PATHS}, got {paths}")
        if not 0 <= seed <= MAX_SEED:
            raise ParameterError("seed", f"expected 0..{MAX_SEED}, got {seed}")
        ctx["report"] = _read(request, ("risk", month or None), lambda mw: mw.risk(month=month or None).to_dict())
        run = run_scenario(request.app.state.access, scenario, paths, seed)
    except MagwatchError as exc:
        return _error_page(request, exc, ctx)
    run = {**run, "inputs": [_input_row(r) for r in run.get("inputs") or []]}
    ctx.update(run=run, reading=_reading(run), fan=_fan(run),
               title=f"Supply risk, {month_words(ctx['report']['month'])}")
    return _render(request, "risk.html", ctx)


#: A scenario input's name (risk.scenario's keys) in words; a suffix after ``_`` is a country
#: code (``cut_USA``) or, for ``alternative_``, the plant's name.
INPUT_WORDS = {"baseline": "Monthly exports before the disruption", "cut": "Share withheld",
               "sector_split": "Demand by sector", "sector_other": "Demand not named by sector",
               "licence_delay": "Licence delay", "licence_restored": "Share licensed after the delay",
               "working_days_per_month": "Working days a month", "regime_duration": "How long the regime lasts",
               "inventory_default": "Stocks held, any importer", "inventory": "Stocks held",
               "alternative": "Other supply", "demand_growth": "Demand growth"}


def input_words(name: str) -> str:
    """``Share withheld, United States`` for ``cut_USA``; an unknown name with spaces for ``_``."""
    if name in INPUT_WORDS:
        return INPUT_WORDS[name]
    head, _, rest = str(name).partition("_")
    if head in INPUT_WORDS and rest:
        return f"{INPUT_WORDS[head]}, {rest if head == 'alternative' else country_words(rest)}"
    return str(name).replace("_", " ")


def value_words(value) -> str:
    """A scenario input's value as a reader reads it: ``(0.58, 0.93)`` (a range the model
    draws from, as the risk module writes it) is ``0.58 to 0.93``; ``low=30, mode=45, high=130``
    is ``low 30, most likely 45, high 130``; ``ev_nev=0.118`` is ``electric vehicles 11.8%``."""
    from magwatch.report.words import sector_name

    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    text = str(value)
    pair = re.fullmatch(r"\((-?[\d.]+), (-?[\d.]+)\)", text)
    if pair:
        return f"{float(pair.group(1)):g} to {float(pair.group(2)):g}"
    parts = [p.partition("=") for p in text.split(", ")]
    if len(parts) > 1 and all(eq and re.fullmatch(r"-?[\d.]+", v) for _, eq, v in parts):
        keys = [k for k, _, _ in parts]
        if set(keys) <= {"low", "mode", "high"}:
            words = {"low": "low", "mode": "most likely", "high": "high"}
            return ", ".join(f"{words[k]} {float(v):g}" for k, _, v in parts)
        return ", ".join(f"{sector_name(k)} {float(v) * 100:.1f}%" for k, _, v in parts)
    return text


def _input_row(row: dict) -> dict:
    return {**row, "input": input_words(row.get("input", "")), "value": value_words(row.get("value"))}


def _fan(run: dict) -> dict:
    return {"months": [r["month"] for r in run["total"]],
            "p10": [r["shortfall_t_p10"] for r in run["total"]],
            "p50": [r["shortfall_t_p50"] for r in run["total"]],
            "p90": [r["shortfall_t_p90"] for r in run["total"]],
            "title": f"{run['title']}: shortfall, all importers (t per month); "
                     f"{run['paths']:,} paths, seed {run['seed']} (computed)"}


def _reading(run: dict) -> str | None:
    """One sentence on the scenario: who runs out first among the EU's vehicle makers (else
    the first importer to run out), when, and whether supply recovers before."""
    rows = run.get("survival") or []
    eu_cars = [r for r in rows if r["importer"] == "EUU" and r["sector"] in ("conventional_vehicles", "ev_nev")]
    pick = min(eu_cars or rows, key=lambda r: r["tts_months_p50"], default=None)
    if pick is None:
        return None
    who = (f"in {country_phrase(pick['importer'])}, "
           + ("other users" if pick["sector"] == "other" else f"makers of {sector_words(pick['sector'])}"))
    if pick.get("censored_at_horizon"):
        outcome = f"{who} do not run out within the {run['months']} months simulated"
    else:
        outcome = (f"{who} run out of magnets in about {pick['tts_months_p50']:.1f} months "
                   f"(P10–P90 {pick['tts_months_p10']:.1f}–{pick['tts_months_p90']:.1f})")
    return (f"Scenario “{run['title']}”, starting {month_words(run['start'])}: "
            f"{outcome}; supply is back after about {pick['ttr_months_p50']:.0f} months, and in "
            f"{pick['prob_tts_lt_ttr']:.0%} of {run['paths']:,} simulated paths stocks run out "
            "before it is (computed; inputs and their sources below).")


__all__ = ["router"]
