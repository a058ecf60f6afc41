"""Errors as RFC 9457 ``application/problem+json``, naming the parameter or file/row/field.

A deliberate magwatch error maps to a 4xx (bad input, no data) or 503 (store busy
or missing); a bug becomes a 500 with no traceback in the body.
"""

from __future__ import annotations

import json
import logging
from typing import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from magwatch.errors import (
    InputError, MagwatchError, NoDataError, ParameterError, SourceError, StoreError,
)

PROBLEM_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = 2
log = logging.getLogger("magwatch.web")

#: Response description used in the OpenAPI schema of every route.
PROBLEM_RESPONSES = {
    400: {"description": "Bad parameter (problem+json naming it)"},
    404: {"description": "No data for the request (problem+json saying why)"},
    414: {"description": "Query string over a limit (problem+json naming it)"},
    503: {"description": "Store busy or missing (problem+json, Retry-After)"},
}


class WebProblem(Exception):
    """A problem raised by the web layer itself (auth, upload limits, unknown page items)."""

    def __init__(self, status: int, title: str, detail: str, *, parameter: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.parameter, self.headers = parameter, headers or {}


class ProblemResponse(JSONResponse):
    """problem+json whose text never carries raw ``<``, ``>`` or ``&``.

    A detail may quote the offending input; written as JSON escapes (``\\u003c``)
    it parses to the same text but can never be read as markup.
    """

    media_type = PROBLEM_TYPE

    def render(self, content: object) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
                .encode("utf-8"))


def problem(status: int, title: str, detail: str, *, instance: str | None = None,
            headers: dict[str, str] | None = None, **extra: object) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return ProblemResponse(body, status_code=status, headers=headers)


def from_error(exc: MagwatchError, instance: str | None = None) -> JSONResponse:
    """The problem response for a deliberate magwatch error."""
    if isinstance(exc, ParameterError):
        return problem(400, "Bad parameter", str(exc), instance=instance, parameter=exc.parameter)
    if isinstance(exc, InputError):
        return problem(400, "Bad input", str(exc), instance=instance, file=exc.file, row=exc.row,
                       field=exc.field)
    if isinstance(exc, NoDataError):
        return problem(404, "No data", getattr(exc, "bare", str(exc)), instance=instance)
    if isinstance(exc, StoreError):
        # the store's path, the interpreter and a process id stay in the server's log
        detail = ("the store is in use by another magwatch process; retry shortly"
                  if "in use" in str(exc) else "the store does not exist; run 'magwatch load'"
                  if "does not exist" in str(exc) else "the store cannot be opened; see the server log")
        return problem(503, "Store unavailable", detail, instance=instance,
                       headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if isinstance(exc, SourceError):
        return problem(502, "Source failed", str(exc), instance=instance)
    return problem(400, "Error", str(exc), instance=instance)


#: Renders a problem answer as a dashboard page: (request, the problem response) -> a response.
PageRenderer = Callable[[Request, JSONResponse], object]


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers on the request's path (for ``Allow``)."""
    from starlette.routing import Match

    try:                                     # routers included in the app are listed through it
        from fastapi.routing import iter_route_contexts
        routes = [c.original_route for c in iter_route_contexts(request.app.routes)]
    except ImportError:
        routes = list(request.app.routes)
    found: set[str] = set()
    for route in routes:
        methods = getattr(route, "methods", None)
        if methods and route.matches(request.scope)[0] != Match.NONE:
            found |= set(methods)
    return sorted(found)


def install(app: FastAPI, page: PageRenderer | None = None,
            is_page: Callable[[str], bool] = lambda path: False) -> None:
    """Register the handlers that turn every error into problem+json; on a path ``is_page``
    accepts (a dashboard page) the problem is shown by ``page`` instead (the HTML error page)."""

    def answer(request: Request, response: JSONResponse):
        if page is not None and is_page(request.url.path):
            return page(request, response)
        return response

    @app.exception_handler(MagwatchError)
    async def _magwatch(request: Request, exc: MagwatchError):
        return answer(request, from_error(exc, request.url.path))

    @app.exception_handler(WebProblem)
    async def _web(request: Request, exc: WebProblem):
        return answer(request, problem(exc.status, exc.title, exc.detail, instance=request.url.path,
                                       headers=exc.headers, parameter=exc.parameter))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        first = errors[0] if errors else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "body", "path", "header")]
        parameter = "body" if first.get("type") == "json_invalid" else ".".join(loc) or None
        message = first.get("msg", "invalid request")
        detail = f"parameter {parameter!r}: {message}" if parameter else message
        return answer(request, problem(422, "Bad parameter", detail, instance=request.url.path,
                                       parameter=parameter))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        titles = {404: "Not found", 405: "Method not allowed"}
        headers = dict(getattr(exc, "headers", None) or {})
        detail, parameter = str(exc.detail), None
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        if exc.status_code == 400:          # the framework could not read the request body
            detail, parameter = f"parameter 'body': {detail}", "body"
        return problem(exc.status_code, titles.get(exc.status_code, "HTTP error"), detail,
                       instance=request.url.path, headers=headers, parameter=parameter)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return answer(request, problem(500, "Internal error", "an unexpected error occurred; it has "
                                       "been logged", instance=request.url.path))
