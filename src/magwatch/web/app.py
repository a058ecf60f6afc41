"""The FastAPI application: REST API under ``/api/v1/`` and the dashboard pages, one app.

``create_app(db_path)`` builds it; ``magwatch serve`` runs it with uvicorn on
127.0.0.1. Reading is open on the bound address; writing needs the bearer token
in ``MAGWATCH_TOKEN`` (off when unset). Uploads are capped by
``MAGWATCH_MAX_UPLOAD_BYTES`` (default 50 MB).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib
import importlib.resources
import os
import platform
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from fastapi.responses import Response

import magwatch
from magwatch.config import resolve_db_path, settings
from magwatch.web import api, openapi, pages, problems
from magwatch.web.access import StoreAccess
from magwatch.web.cache import ResponseCache, warm
from magwatch.web.limits import DEFAULT_MAX_UPLOAD_BYTES

STATIC_DIR = Path(__file__).with_name("static")
_FROM_ENV = object()

#: Same-origin only: scripts and styles come from /static, never inline or from a CDN.
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self'; "
                                 b"img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                                 b"frame-ancestors 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
#: The interactive API docs page is FastAPI's Swagger UI with its files served from
#: /api/docs/assets (the fastapi-swagger package's copy of the Swagger UI dist): it needs
#: no network. Its page starts Swagger UI with one inline script.
DOCS_CSP = (b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self'; "
            b"img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
DOCS_ASSETS = "/api/docs/assets"
HEALTH_BODY = b'{"status":"ok"}'
#: Worker threads for the routes (Starlette's default is 40). Repeats are answered on the event
#: loop by the response cache and at most one store call per CPU computes at a time, so more
#: threads only raise the memory peak when many first requests arrive at once (found by the soak).
WORKER_THREADS = 8


#: glibc's mallopt parameter number for the mmap threshold.
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 128 * 1024


def fix_mmap_threshold() -> bool:
    """Keep glibc's mmap threshold at 128 KiB for this process (True if set; other C libraries: no-op).

    By default glibc raises the threshold each time a large block is freed, so later large
    temporary buffers (a query result converted to Arrow, a page of rows, an encoded body) are
    carved from the worker threads' heaps instead of mapped and unmapped; the holes they leave
    are rarely returned. The soak test saw the server's resident memory step up 7-16% after an
    ingest made those buffers bigger; with the threshold fixed the step is gone (docs/reliability.md).
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    except (OSError, AttributeError):
        return False


@asynccontextmanager
async def _lifespan(app: FastAPI):
    anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
    app.state.warmed = await warm(app)      # compiled and computed before the first visitor
    yield


class Guard:
    """ASGI middleware: security headers on every response; imports checked before the body is read."""

    def __init__(self, app, fastapi_app: FastAPI) -> None:
        self.app = app
        self.fastapi_app = fastapi_app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "POST" and scope["path"].rstrip("/") == "/api/v1/import":
            request = Request(scope)
            request.scope["app"] = self.fastapi_app
            found = api.check_upload(request)
            if found is not None:
                response = problems.problem(found.status, found.title, found.detail,
                                            instance=scope["path"], headers=found.headers,
                                            parameter=found.parameter)
                await response(scope, receive, self._with_headers(send))
                return
        docs = scope["path"] == "/api/docs" or scope["path"].startswith(DOCS_ASSETS + "/")
        await self.app(scope, receive, self._with_headers(send, docs))

    @staticmethod
    def _with_headers(send, docs: bool = False):
        extra = [(k, DOCS_CSP if docs and k == b"content-security-policy" else v)
                 for k, v in SECURITY_HEADERS]

        async def wrapped(message):
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + \
                    [(k, v) for k, v in extra if k not in names]
            await send(message)
        return wrapped


#: Modules the handle imports lazily. The server imports them before it serves:
#: two worker threads importing one module at the same moment can see it half
#: initialised (found by the soak test as ImportError / KeyError on cold start).
HANDLE_MODULES = (
    "magwatch.analytics.monitor", "magwatch.analytics.audit", "magwatch.analytics.mirror",
    "magwatch.events.registry", "magwatch.events.study", "magwatch.events.explain",
    "magwatch.risk.monitor", "magwatch.risk.scenario", "magwatch.sources.run",
)


def swagger_dir() -> Path:
    """Swagger UI's bundle, stylesheet and icon as the fastapi-swagger package ships them."""
    return Path(str(importlib.resources.files("fastapi_swagger") / "resources"))


def _docs(app: FastAPI) -> None:
    """``/api/docs``: Swagger UI over /openapi.json, every file served by magwatch itself."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=swagger_dir()), name="docs-assets")

    @app.get("/api/docs", include_in_schema=False)
    async def api_docs() -> Response:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url, title="magwatch API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png")


def _data_age(request: Request) -> str | None:
    """The header's line on how new the store is (magwatch.calendar), or None if unreadable."""
    try:
        facts = request.app.state.access.read(("info",), lambda mw: mw.info())
    except magwatch.MagwatchError:
        return None
    return facts["data_age"]["line"]


def create_app(db_path: str | os.PathLike[str] | None = None, *, token=_FROM_ENV,
               max_upload_bytes: int | None = None) -> FastAPI:
    """The web application over the store at ``db_path`` (default ``MAGWATCH_DB``).

    ``token`` is the bearer token for write endpoints (default: ``MAGWATCH_TOKEN``;
    empty or None turns writing off).
    """
    for module in HANDLE_MODULES:
        importlib.import_module(module)
    fix_mmap_threshold()
    app = FastAPI(title="magwatch", version=magwatch.__version__,
                  description="Rare-earth magnet trade intelligence from official statistics: "
                              "observations, reported claims, monitor, audit, events and risk, "
                              "each figure with its source and vintage.",
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json",
                  lifespan=_lifespan)
    app.state.access = StoreAccess(resolve_db_path(db_path))
    found = settings()
    app.state.token = found.token if token is _FROM_ENV else token
    if max_upload_bytes is None:
        max_upload_bytes = found.max_upload_bytes or DEFAULT_MAX_UPLOAD_BYTES
    app.state.max_upload_bytes = max_upload_bytes
    problems.install(app, page=pages.problem_page, is_page=pages.is_page)
    openapi.document(app)

    @app.get("/healthz", include_in_schema=True, summary="Liveness: a fixed body, never touches the store")
    async def healthz() -> Response:
        return Response(HEALTH_BODY, media_type="application/json")

    _docs(app)
    pages.templates.env.globals.update(data_age=_data_age)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(ResponseCache, fastapi_app=app)      # inside Guard: replays get its headers
    app.add_middleware(Guard, fastapi_app=app)
    return app


__all__ = ["create_app"]
