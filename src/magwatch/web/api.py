"""The REST API under ``/api/v1/``: each route parses its input, calls the handle, renders.

Query parameters are named as in the CLI (``from``, ``to``, ``as_of``, ``type``...).
Table results are paged (``limit``, ``offset``) and come as JSON (an envelope with
``total``, ``limit``, ``offset``, ``next`` and ``rows``) or as CSV (``format=csv``;
the page's rows, with ``X-Total-Count`` and a ``Link: rel="next"`` header).
Writing (import a file, add an event) needs ``Authorization: Bearer $MAGWATCH_TOKEN``
and is off when no token is configured.
"""

from __future__ import annotations

import hmac
import json
import math
import re
import tempfile
from pathlib import Path
from typing import Any, Callable, Literal, Optional

import pyarrow as pa
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from magwatch import params
from magwatch.codes import MAGNET_LINE
from magwatch.errors import InputError, NoDataError, ParameterError
from magwatch.render import jsonable, to_csv
from magwatch.web.limits import (
    DEFAULT_LIMIT, MAX_CHECK_CHARS, MAX_LAG, MAX_LIMIT, MAX_LOOKBACK, MAX_OFFSET, MAX_QUERY_BYTES,
    MAX_QUERY_PARAMETERS, MAX_RELEASE_ID, MAX_SCENARIO_MONTHS, MAX_SCENARIO_PATHS, MAX_SEED,
    MULTIPART_ALLOWANCE_BYTES,
)
from magwatch.web.problems import PROBLEM_RESPONSES, WebProblem


def query_within_limits(request: Request) -> None:
    """Every route, before its parameters are read: the query string's size and pair count
    (:data:`MAX_QUERY_BYTES`, :data:`MAX_QUERY_PARAMETERS`); over either, a 414 naming it."""
    size = len(request.scope.get("query_string", b""))
    if size > MAX_QUERY_BYTES:
        raise WebProblem(414, "Query too long", f"parameter 'query': {size:,} bytes, over the limit "
                         f"of {MAX_QUERY_BYTES:,} bytes", parameter="query")
    pairs = len(request.query_params.multi_items())
    if pairs > MAX_QUERY_PARAMETERS:
        raise WebProblem(414, "Too many parameters", f"parameter 'query': {pairs} parameters, over "
                         f"the limit of {MAX_QUERY_PARAMETERS}", parameter="query")


router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES,
                   dependencies=[Depends(query_within_limits)])

UPLOAD_SUFFIXES = (".csv", ".parquet", ".xlsx", ".xls")

Format = Literal["json", "csv"]


# -- helpers -------------------------------------------------------------------------------

def _access(request: Request):
    return request.app.state.access


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(jsonable(data), ensure_ascii=False, allow_nan=False)
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def unusable_notes(rows: list[dict], first: int = 1) -> list[str]:
    """One note per NaN or infinite number in ``rows`` (held by the store; JSON shows it as null),
    naming the row (``first`` is the first row's number), its key and the column."""
    notes = []
    for i, row in enumerate(rows, first):
        for name, value in row.items():
            if isinstance(value, float) and not math.isfinite(value):
                key = " ".join(str(row[k]) for k in ("partner", "period", "metric") if row.get(k))
                notes.append(f"row {i}{f' ({key})' if key else ''}: {name} is {value} in the store, "
                             "not a usable figure; shown as null")
    return notes


def _table_response(request: Request, table: pa.Table, fmt: str, limit: int, offset: int,
                    columns: list[str] | None = None) -> Response:
    total = table.num_rows
    page = table.slice(offset, limit)
    rows = page.to_pylist()
    next_url = None
    if offset + limit < total:
        next_url = str(request.url.include_query_params(offset=offset + limit, limit=limit))
    headers = {"X-Total-Count": str(total)}
    if next_url:
        headers["Link"] = f'<{next_url}>; rel="next"'
    if fmt == "csv":
        return Response(to_csv(rows, columns or table.column_names), media_type="text/csv; charset=utf-8",
                        headers=headers)
    body = {"total": total, "limit": limit, "offset": offset, "next": next_url, "rows": rows}
    notes = unusable_notes(rows, offset + 1)
    if notes:
        body["notes"] = notes
    return json_response(body, headers=headers)


def _limit(limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page"),
           offset: int = Query(0, ge=0, le=MAX_OFFSET, description="Rows to skip")) -> tuple[int, int]:
    return limit, offset


def require_token(request: Request) -> None:
    """Write endpoints: off without MAGWATCH_TOKEN; with it, a matching bearer token is needed."""
    token = request.app.state.token
    if not token:
        raise WebProblem(403, "Writing is off",
                         "write endpoints are off: start the server with MAGWATCH_TOKEN set")
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise WebProblem(401, "Token needed", "parameter 'Authorization': send 'Bearer <token>'",
                         parameter="Authorization", headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise WebProblem(401, "Token rejected", "parameter 'Authorization': the bearer token does "
                         "not match", parameter="Authorization",
                         headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


# -- store facts ---------------------------------------------------------------------------

@router.get("/info", summary="What the store holds")
def info(request: Request) -> Response:
    facts = _access(request).read(("info",), lambda mw: mw.info())
    facts = {k: v for k, v in facts.items() if k != "path"}
    return json_response(facts)


@router.get("/flows", summary="Observations with their sources (latest vintage or as of a date)")
def flows(request: Request,
          reporter: Optional[str] = Query(None, description="ISO3, e.g. CHN"),
          partner: Optional[str] = Query(None, description="ISO3 or WLD, EUU"),
          commodity: Optional[str] = Query(None, description="e.g. 85051110"),
          flow: Optional[str] = Query(None, description="X export or M import"),
          period: Optional[str] = Query(None, description="YYYY-MM"),
          start: Optional[str] = Query(None, alias="from", description="YYYY-MM"),
          end: Optional[str] = Query(None, alias="to", description="YYYY-MM"),
          as_of: Optional[str] = Query(None, description="What was known on YYYY-MM-DD"),
          source: Optional[str] = Query(None, description="press, comtrade, census, comext, ..."),
          months: int = Query(1, ge=0, le=12, description="Span: 1 monthly, 12 annual, 0 every span"),
          format: Format = Query("json"), page: tuple[int, int] = Depends(_limit)) -> Response:
    params.check_query(months={"period": period, "from": start, "to": end}, days={"as_of": as_of})
    args = dict(reporter=reporter, partner=partner, commodity=commodity, flow=flow, period=period,
                start=start, end=end, as_of=as_of, source=source, months=months)
    table = _access(request).read(("flows", tuple(args.items())), lambda mw: mw.flows(**args).arrow)
    return _table_response(request, table, format, *page)


@router.get("/claims", summary="Changes, shares and ranks as sources reported them")
def claims(request: Request, reporter: Optional[str] = None, partner: Optional[str] = None,
           commodity: Optional[str] = None, period: Optional[str] = Query(None, description="YYYY-MM"),
           metric: Optional[str] = Query(None, description="mom_pct, yoy_pct, share_pct, rank"),
           months: int = Query(1, ge=0, le=12), format: Format = Query("json"),
           page: tuple[int, int] = Depends(_limit)) -> Response:
    params.check_query(months={"period": period})
    args = dict(reporter=reporter, partner=partner, commodity=commodity, period=period,
                metric=metric, months=months)
    table = _access(request).read(("claims", tuple(args.items())), lambda mw: mw.claims(**args).arrow)
    return _table_response(request, table, format, *page)


@router.get("/releases", summary="Every ingested release: source, vintage, file, hash, rows")
def releases(request: Request, format: Format = Query("json"),
             page: tuple[int, int] = Depends(_limit)) -> Response:
    table = _access(request).read(("releases",), lambda mw: mw.releases().arrow)
    return _table_response(request, table, format, *page)


@router.get("/revisions", summary="Figures a later vintage changed, old beside new")
def revisions(request: Request, source: Optional[str] = None,
              since: Optional[str] = Query(None, description="Published on or after YYYY-MM-DD"),
              release: Optional[int] = Query(None, ge=0, le=MAX_RELEASE_ID,
                                             description="Revisions one release made"),
              format: Format = Query("json"), page: tuple[int, int] = Depends(_limit)) -> Response:
    params.check_query(days={"since": since})
    args = dict(source=source, since=since, release=release)
    table = _access(request).read(("revisions", tuple(args.items())),
                                  lambda mw: mw.revisions(**args).arrow)
    return _table_response(request, table, format, *page)


@router.get("/provenance", summary="Source rows and vintages behind one partner and period")
def provenance(request: Request, partner: str = Query(..., description="ISO3, WLD or EUU"),
               period: str = Query(..., description="YYYY-MM"),
               reporter: str = Query("CHN"), commodity: str = Query(MAGNET_LINE),
               flow: Optional[str] = Query(None, description="X or M (default both)")) -> Response:
    result = provenance_rows(request.app.state.access, partner=partner, period=period,
                             reporter=reporter, commodity=commodity, flow=flow)
    return json_response(result)


def provenance_rows(access, *, partner: str, period: str, reporter: str = "CHN",
                    commodity: str = MAGNET_LINE, flow: str | None = None) -> dict:
    """Observations (every span starting that month) and reported claims for one key."""
    found = params.query_month(period, "period")
    if found is None:
        raise ParameterError("period", "expected YYYY-MM, got an empty value")
    period = str(found)
    args = dict(reporter=reporter, partner=partner, commodity=commodity, flow=flow, period=period)

    def call(mw):
        obs = mw.flows(**args, months=0).to_pylist()
        cl = mw.claims(reporter=reporter, partner=partner, commodity=commodity, period=period,
                       months=0).to_pylist()
        if flow:
            cl = [c for c in cl if c["flow"] == flow.upper()]
        out = {"reporter": reporter.upper(), "partner": partner.upper(), "commodity": commodity,
               "period": period, "observations": obs, "claims": cl,
               "kind": "observations as published (reported), claims as stated by the source"}
        notes = [f"observation {n}" for n in unusable_notes(obs)] + [f"claim {n}" for n in unusable_notes(cl)]
        if notes:
            out["notes"] = notes
        return out

    return access.read(("provenance", tuple(args.items())), call)


# -- analytics -----------------------------------------------------------------------------

@router.get("/monitor", summary="What moved in a month: m/m, y/y, ranks, shares, HHI, anomalies")
def monitor(request: Request,
            month: Optional[str] = Query(None, description="YYYY-MM (default: latest with data)"),
            reporter: str = Query("CHN"), commodity: str = Query(MAGNET_LINE),
            flow: str = Query("X", description="X export or M import"),
            format: Format = Query("json")) -> Response:
    """Computed once per store state: the result is shared with the overview page, and the
    encoded answer is replayed by :class:`~magwatch.web.cache.ResponseCache`."""
    params.check_query(months={"month": month})
    args = dict(reporter=reporter, commodity=commodity, flow=flow)
    result = _access(request).read(("monitor", month, tuple(args.items())),
                                   lambda mw: mw.monitor(month, **args).to_dict())
    if format == "json":
        return json_response(result)
    from magwatch.analytics.monitor import TABLE_COLUMNS, partner_table

    table = partner_table(result)
    return Response(to_csv(table.to_pylist(), table.column_names or TABLE_COLUMNS),
                    media_type="text/csv; charset=utf-8")


@router.get("/audit", summary="Every reported change and rank beside the computed one")
def audit(request: Request, reporter: Optional[str] = None, format: Format = Query("json"),
          page: tuple[int, int] = Depends(_limit)) -> Response:
    table = _access(request).read(("audit", reporter), lambda mw: mw.audit(reporter=reporter).arrow)
    return _table_response(request, table, format, *page)


# -- events --------------------------------------------------------------------------------

@router.get("/events", summary="Registry events (bundled timeline plus added events)")
def events(request: Request,
           start: Optional[str] = Query(None, alias="from", description="YYYY-MM-DD or YYYY-MM"),
           end: Optional[str] = Query(None, alias="to", description="YYYY-MM-DD or YYYY-MM"),
           event_type: Optional[str] = Query(None, alias="type", description="export_control, "
                                             "license, trade_deal, tariff, investment, other"),
           partner: Optional[str] = None, commodity: Optional[str] = None,
           format: Format = Query("json"), page: tuple[int, int] = Depends(_limit)) -> Response:
    params.check_query(days_or_months={"from": start, "to": end})
    args = dict(start=start, end=end, event_type=event_type, partner=partner, commodity=commodity)
    table = _access(request).read(("events", tuple(args.items())), lambda mw: mw.events(**args).arrow)
    if format == "csv":
        from magwatch.events.registry import scope_text

        rows = table.slice(*reversed(page)).to_pylist()
        for row in rows:
            for name in ("partners", "commodities", "elements"):
                row[name] = scope_text(row.get(name))
        return Response(to_csv(rows, table.column_names), media_type="text/csv; charset=utf-8",
                        headers={"X-Total-Count": str(table.num_rows)})
    return _table_response(request, table, format, *page)


class EventIn(BaseModel):
    """One event to add; the fields of ``Magwatch.add_event``."""

    date: str = Field(..., max_length=10, description="YYYY-MM-DD")
    actor: str = Field(..., max_length=200)
    event_type: str = Field(..., max_length=40, description="export_control, license, trade_deal, "
                            "tariff, investment, other")
    summary: str = Field(..., max_length=2000)
    source_url: Optional[str] = Field(None, max_length=2000)
    partners: Optional[str] = Field(None, max_length=500, description="ALL, NONE or ISO3 codes separated by ';'")
    commodities: Optional[str] = Field(None, max_length=500)
    elements: Optional[str] = Field(None, max_length=200)
    event_id: Optional[str] = Field(None, max_length=100)
    scope_note: Optional[str] = Field(None, max_length=2000)


@router.post("/events", summary="Add one event (bearer token)", status_code=201,
             dependencies=[Depends(require_token)],
             responses={401: {"description": "Token missing or wrong"},
                        403: {"description": "Writing is off (no MAGWATCH_TOKEN)"}})
def add_event(request: Request, event: EventIn) -> Response:
    row = _access(request).write(lambda mw: mw.add_event(**event.model_dump()))
    return json_response(row, status=201 if row.get("added") else 200)


@router.get("/event-study", summary="Levels before and after an event, against counterfactuals")
def event_study(request: Request, event: str = Query(..., description="Event id or YYYY-MM-DD"),
                partner: str = Query("WLD"), commodity: str = Query(MAGNET_LINE),
                window: str = Query("-3:+3", description="Months before and after, e.g. -3:+3")) -> Response:
    params.query_event(event, "event")
    args = dict(partner=partner, commodity=commodity, window=window)
    return _as_dict(request, ("event-study", event, tuple(args.items())),
                    lambda mw: mw.event_study(event, **args))


@router.get("/explain", summary="Which events a month's figure follows (never 'caused')")
def explain(request: Request, month: str = Query(..., description="YYYY-MM"),
            partner: str = Query("WLD"), commodity: str = Query(MAGNET_LINE),
            lookback: int = Query(3, ge=0, le=MAX_LOOKBACK)) -> Response:
    params.check_query(months={"month": month})
    args = dict(partner=partner, commodity=commodity, lookback=lookback)
    return _as_dict(request, ("explain", month, tuple(args.items())),
                    lambda mw: mw.explain(month, **args))


def _as_dict(request: Request, key: tuple, run: Callable) -> Response:
    """``run(handle).to_dict()`` as JSON, computed once per store state and ``key``."""
    return json_response(_access(request).read(key, lambda mw: run(mw).to_dict()))


# -- mirror --------------------------------------------------------------------------------

@router.get("/mirror", summary="The reporter's exports against the partner's imports, month by month")
def mirror(request: Request, partner: str = Query(..., description="ISO3 importer, e.g. USA"),
           reporter: str = Query("CHN"), commodity: str = Query(MAGNET_LINE),
           start: Optional[str] = Query(None, alias="from", description="YYYY-MM"),
           end: Optional[str] = Query(None, alias="to", description="YYYY-MM"),
           lag: Optional[int] = Query(None, ge=0, le=MAX_LAG, description="Shipping lag in months")) -> Response:
    params.check_query(months={"from": start, "to": end})
    args = dict(reporter=reporter, commodity=commodity, start=start, end=end, lag=lag)

    def call(mw):
        result = mw.mirror(partner, **args).to_dict()
        return {k: v.to_pylist() if isinstance(v, pa.Table) else v for k, v in result.items()}

    return json_response(_access(request).read(("mirror", partner, tuple(args.items())), call))


# -- risk ----------------------------------------------------------------------------------

@router.get("/risk", summary="Dependence, concentration and supply-risk indices for a month")
def risk(request: Request, month: Optional[str] = Query(None, description="YYYY-MM")) -> Response:
    params.check_query(months={"month": month})
    return json_response(_access(request).read(("risk", month), lambda mw: mw.risk(month=month).to_dict()))


@router.get("/scenarios", summary="Example scenarios shipped with magwatch")
def scenarios() -> Response:
    from magwatch.risk.scenario import list_scenarios

    return json_response([{k: v for k, v in s.items() if k != "file"} for s in list_scenarios()])


class ScenarioRun(BaseModel):
    """A bundled scenario name, or a scenario spec (the TOML file's content as JSON)."""

    scenario: str | dict[str, Any] = Field(..., description="Bundled name (GET /scenarios) or a spec")
    paths: int = Field(10_000, ge=1, le=MAX_SCENARIO_PATHS)
    seed: int = Field(0, ge=0, le=MAX_SEED)


def scenario_spec(value: str | dict[str, Any]) -> str | dict[str, Any]:
    """Only bundled names or inline specs: a web caller never names a file on the server."""
    from magwatch.risk.scenario import list_scenarios

    if isinstance(value, str):
        names = [s["name"] for s in list_scenarios()]
        if value not in names:
            raise ParameterError("scenario", f"expected a bundled scenario ({', '.join(names)}) "
                                 f"or a scenario spec object, got {value!r}")
        return value
    months = value.get("months")
    if isinstance(months, bool) or (months is not None and not isinstance(months, int)):
        raise ParameterError("scenario.months", f"expected a whole number of months, got {months!r}")
    if isinstance(months, int) and not 1 <= months <= MAX_SCENARIO_MONTHS:
        raise ParameterError("scenario.months", f"expected 1..{MAX_SCENARIO_MONTHS}, got {months}")
    return value


def run_scenario(access, scenario, paths: int, seed: int) -> dict:
    spec = scenario_spec(scenario)
    key = ("scenario", json.dumps(spec, sort_keys=True, default=str), paths, seed)
    return access.read(key, lambda mw: mw.scenario(spec, paths=paths, seed=seed).as_dict())


@router.post("/scenarios/run", summary="Run a posted scenario (Monte Carlo; computed)")
def scenario_run(request: Request, body: ScenarioRun) -> Response:
    result = run_scenario(_access(request), body.scenario, body.paths, body.seed)
    result = {k: v for k, v in result.items() if k != "file"}
    return json_response(result)


# -- claim check ---------------------------------------------------------------------------

class CheckText(BaseModel):
    """English text to check against the store, with when it was published."""

    text: str = Field(..., min_length=1, max_length=MAX_CHECK_CHARS)
    as_of: Optional[str] = Field(None, description="YYYY-MM-DD: when the text was published")
    month: Optional[str] = Field(None, description="YYYY-MM: the month the text is about, if it does not say")


@router.post("/check", summary="Check the numeric claims in a text against the store (docs/check.md)")
def check(request: Request, body: CheckText) -> Response:
    params.check_query(months={"month": body.month}, days={"as_of": body.as_of})
    key = ("check", body.text, body.as_of, body.month)
    rows = _access(request).read(key, lambda mw: mw.check(body.text, as_of=body.as_of, month=body.month)
                                 .arrow.to_pylist())
    return json_response({"claims": rows, "total": len(rows)})


# -- writing: import -----------------------------------------------------------------------

@router.post("/import", summary="Import a CSV, Parquet or Excel file as one release (bearer token)",
             status_code=201, dependencies=[Depends(require_token)],
             responses={401: {"description": "Token missing or wrong"},
                        403: {"description": "Writing is off (no MAGWATCH_TOKEN)"},
                        411: {"description": "Content-Length missing"},
                        413: {"description": "Upload larger than the limit"}})
async def import_file(request: Request, file: UploadFile = File(...),
                      source: str = Form("user", max_length=40),
                      vintage: Optional[str] = Form(None, max_length=10)) -> Response:
    limit = request.app.state.max_upload_bytes
    name = Path(file.filename or "").name
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:120]
    if not safe.lower().endswith(UPLOAD_SUFFIXES):
        raise ParameterError("file", f"expected a {', '.join(UPLOAD_SUFFIXES)} file, got {name!r}")
    with tempfile.TemporaryDirectory(prefix="magwatch-upload-") as tmp:
        target = Path(tmp) / safe
        size = 0
        with target.open("wb") as out:
            while chunk := await file.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise WebProblem(413, "Upload too large", f"parameter 'file': larger than the "
                                     f"limit of {limit:,} bytes", parameter="file")
                out.write(chunk)
        try:
            release = await run_in_threadpool(
                _access(request).write, lambda mw: mw.import_file(target, source=source, vintage=vintage))
        except InputError as exc:      # the name the user gave, never the upload's temporary path
            raise InputError(exc.reason.replace(str(target), name), file=name if exc.file else None,
                             row=exc.row, field=exc.field) from None
        except NoDataError as exc:
            raise NoDataError(str(exc).replace(str(target), name)) from None
    body = {"release_id": release.release_id, "source": release.source, "file_name": release.file_name,
            "sha256": release.sha256, "rows_read": release.rows_read, "rows_added": release.rows_added,
            "skipped": release.skipped, "message": release.describe()}
    return json_response(body, status=200 if release.skipped else 201)


def token_problem(request: Request) -> WebProblem | None:
    try:
        require_token(request)
    except WebProblem as exc:
        return exc
    return None


def check_upload(request: Request) -> WebProblem | None:
    """For an import: the token and the declared size, checked before any of the body is read."""
    problem = token_problem(request)
    if problem is not None:
        return problem
    length = request.headers.get("content-length")
    if length is None:
        return WebProblem(411, "Length required", "parameter 'file': send a Content-Length header",
                          parameter="file")
    try:
        declared = int(length)
    except ValueError:
        return WebProblem(400, "Bad header", "parameter 'Content-Length': not a number",
                          parameter="Content-Length")
    limit = request.app.state.max_upload_bytes
    if declared > limit + MULTIPART_ALLOWANCE_BYTES:
        return WebProblem(413, "Upload too large", f"parameter 'file': larger than the limit of "
                          f"{limit:,} bytes", parameter="file")
    return None


__all__ = ["router", "provenance_rows", "run_scenario", "check_upload", "json_response",
           "query_within_limits"]
