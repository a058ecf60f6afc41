"""The dashboard: server-rendered Jinja2 pages over the same handle calls as the API.

Pages: overview (``/``), partner (``/partner/{code}``), events (``/events``),
event study (``/events/study``), provenance (``/provenance``), risk (``/risk``).
Every figure links to its provenance page; all data is escaped by Jinja's
autoescaping, and links are only made from http(s) URLs.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Optional
from urllib.parse import urlencode, urlparse

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Undefined
from markupsafe import Markup

from magwatch import params
from magwatch.analytics import figures
from magwatch.errors import MagwatchError, ParameterError
from magwatch.periods import Month
from magwatch.render import jsonable
from magwatch.web import problems
from magwatch.web.api import MAX_SCENARIO_PATHS, provenance_rows, run_scenario

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))

DEFAULT = {"reporter": "CHN", "commodity": "85051110", "flow": "X"}


# -- filters -------------------------------------------------------------------------------

def _missing(value) -> bool:
    return value is None or isinstance(value, Undefined)


def tonnes(value) -> str:
    if _missing(value):
        return "no data"
    return f"{value:,.0f} t" if float(value).is_integer() else f"{value:,.1f} t"


def pct(value, sign: bool = True) -> str:
    if _missing(value):
        return "no data"
    return f"{value:+,.1f}%" if sign else f"{value:,.1f}%"


def num(value, digits: int = 1) -> str:
    if _missing(value):
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def http_url(value) -> str | None:
    """The URL if it is http(s), else None: data never becomes a javascript: link."""
    if not value:
        return None
    parsed = urlparse(str(value))
    return str(value) if parsed.scheme in ("http", "https") and parsed.netloc else None


def outlet(value) -> str:
    host = urlparse(str(value or "")).netloc
    return host[4:] if host.startswith("www.") else (host or "source")


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
                             json_script=json_script)
templates.env.globals.update(provenance_link=provenance_link)


def _render(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status)


def _error_page(request: Request, exc: MagwatchError, context: dict | None = None) -> HTMLResponse:
    response = problems.from_error(exc)
    body = json.loads(response.body)
    ctx = {"title": body["title"], "problem": body, **(context or {})}
    page = _render(request, "error.html", ctx, status=response.status_code)
    if "retry-after" in response.headers:
        page.headers["Retry-After"] = response.headers["retry-after"]
    return page


def _read(request: Request, key, call):
    return request.app.state.access.read(key, call)


def _months_with_data(request: Request, reporter: str, commodity: str, flow: str) -> list[str]:
    def call(mw):
        periods = mw.flows(reporter=reporter, commodity=commodity, flow=flow).column("period")
        return sorted({p for p in periods if p}, reverse=True)
    return _read(request, ("page-months", reporter, commodity, flow), call)


# -- pages ---------------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def overview(request: Request, month: Optional[str] = None, reporter: str = "CHN",
             commodity: str = "85051110", flow: str = "X") -> HTMLResponse:
    ctx = {"title": "Overview", "month": month, "reporter": reporter, "commodity": commodity,
           "flow": flow, "months": []}
    try:
        ctx["months"] = _months_with_data(request, reporter, commodity, flow)
        result = _read(request, ("monitor", month or None, (("reporter", reporter),
                                 ("commodity", commodity), ("flow", flow))),
                       lambda mw: mw.monitor(month or None, reporter=reporter, commodity=commodity,
                                             flow=flow))
    except MagwatchError as exc:
        return _error_page(request, exc, ctx)
    anomalies = {a["partner"]: a["reasons"] for a in result["anomalies"]}
    ctx.update(result=result, month=result["month"], anomalies=anomalies,
               title=f"Overview {result['month']}")
    return _render(request, "overview.html", ctx)


@router.get("/partner/{partner}", response_class=HTMLResponse)
def partner_page(request: Request, partner: str, reporter: str = "CHN", commodity: str = "85051110",
                 flow: str = "X", code: Optional[str] = None):
    if code is not None:
        return RedirectResponse(f"/partner/{params.country(code, 'code')}", status_code=303)
    partner = params.country(partner, "partner")
    ctx = {"title": f"Partner {partner}", "partner": partner, "reporter": reporter,
           "commodity": commodity, "flow": flow}

    def call(mw):
        rows = mw.flows(reporter=reporter, partner=partner, commodity=commodity, flow=flow).to_pylist()
        events = mw.events(partner=partner, commodity=commodity).to_pylist()
        return rows, events, _mirror(mw, partner, reporter, commodity, flow)

    try:
        if not partner.isalnum() or len(partner) > 8:
            raise ParameterError("partner", f"expected an ISO3 code, WLD or EUU, got {partner!r}")
        rows, events, mirror = _read(request, ("page-partner", partner, reporter, commodity, flow), call)
    except MagwatchError as exc:
        return _error_page(request, exc, ctx)
    if not rows:
        from magwatch.errors import NoDataError

        return _error_page(request, NoDataError(
            f"no monthly figures for {reporter} {commodity} flow {flow} with partner {partner}"), ctx)
    series = _chart_series(rows)
    first, last = series[0]["period"], series[-1]["period"]
    shown = [e for e in events if first <= str(Month.of(e["event_date"])) <= last]
    chart = {"periods": [p["period"] for p in series], "tonnes": [p["net_weight_t"] for p in series],
             "events": [{"date": e["event_date"].isoformat(), "id": e["event_id"],
                         "type": e["event_type"], "label": e["actor"]} for e in shown],
             "title": f"{reporter} {'exports to' if flow == 'X' else 'imports from'} {partner}, "
                      f"{commodity}, net weight (t)"}
    mirrored = {m["period"]: m["import_t"] for m in (mirror or {}).get("months", [])}
    if any(mirrored.get(p) is not None for p in chart["periods"]):
        chart["mirror"] = [mirrored.get(p) for p in chart["periods"]]
        chart["mirror_label"] = f"{partner}'s imports from {reporter} (mirror)"
    ctx.update(rows=sorted(rows, key=lambda r: (r["period"], r["source_row"] or 0), reverse=True),
               events=shown, chart=chart, first=first, last=last, mirror=mirror,
               with_data=sum(1 for p in series if p["net_weight_t"] is not None), span=len(series))
    return _render(request, "partner.html", ctx)


def _mirror(mw, partner: str, reporter: str, commodity: str, flow: str) -> dict | None:
    """The partner's own import figures beside the reporter's exports (analytics.mirror):
    ``months`` (period, partner_period, import_t, status, note) and the explanations;
    None where no mirror applies (imports, an aggregate partner, no exports held)."""
    from magwatch.codes import is_aggregate
    from magwatch.errors import NoDataError

    if flow != "X" or is_aggregate(partner):
        return None
    try:
        found = mw.mirror(partner, reporter=reporter, commodity=commodity)
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
def study_page(request: Request, event: str, partner: str = "WLD", commodity: str = "85051110",
               window: str = "-3:+3") -> HTMLResponse:
    ctx = {"title": f"Event study {event}", "event": event, "partner": partner, "window": window}
    try:
        lines, months = _read(request, ("page-study", event, partner, commodity, window),
                              lambda mw: _study(mw, event, partner, commodity, window))
    except MagwatchError as exc:
        return _error_page(request, exc, ctx)
    ctx.update(lines=lines, months=months, commodity=commodity)
    return _render(request, "study.html", ctx)


def _study(mw, event, partner, commodity, window):
    study = mw.event_study(event, partner=partner, commodity=commodity, window=window)
    return study.lines(), study.months.to_pylist()


@router.get("/provenance", response_class=HTMLResponse)
def provenance_page(request: Request, partner: str = "WLD", period: Optional[str] = None,
                    reporter: str = "CHN", commodity: str = "85051110",
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


@router.get("/risk", response_class=HTMLResponse)
def risk_page(request: Request, month: Optional[str] = None, scenario: Optional[str] = None,
              paths: int = 5000, seed: int = 0) -> HTMLResponse:
    from magwatch.risk.scenario import list_scenarios

    scenarios = [{k: v for k, v in s.items() if k != "file"} for s in list_scenarios()]
    ctx = {"title": "Risk", "month": month, "scenarios": scenarios, "scenario": scenario,
           "paths": paths, "seed": seed, "max_paths": MAX_SCENARIO_PATHS}
    try:
        ctx["report"] = _read(request, ("risk", month or None), lambda mw: mw.risk(month=month or None))
        if scenario:
            if not 1 <= paths <= MAX_SCENARIO_PATHS:
                raise ParameterError("paths", f"expected 1..{MAX_SCENARIO_PATHS}, got {paths}")
            run = run_scenario(request.app.state.access, scenario, paths, seed)
            ctx["run"] = run
            ctx["fan"] = {"months": [r["month"] for r in run["total"]],
                          "p10": [r["shortfall_t_p10"] for r in run["total"]],
                          "p50": [r["shortfall_t_p50"] for r in run["total"]],
                          "p90": [r["shortfall_t_p90"] for r in run["total"]],
                          "title": f"{run['title']}: shortfall, all importers (t per month); "
                                   f"{run['paths']:,} paths, seed {run['seed']} (computed)"}
    except MagwatchError as exc:
        return _error_page(request, exc, ctx)
    return _render(request, "risk.html", ctx)


__all__ = ["router"]
