"""Whole responses of the read routes, kept per request and per store stamp.

:class:`ResponseCache` is ASGI middleware in front of the application. For a GET of
a read route (the API under ``/api/v1/`` and the dashboard pages) it takes the store
stamp (:func:`magwatch.web.access.store_stamp`: two ``stat`` calls and a 12 KiB
read), and if the same request (path, query, host, scheme) was answered 200 for that
exact stamp it replays the stored status, headers and body on the event loop: no
routing, no worker thread, no store access, no encoding. Otherwise the request goes
through the application and a 200 answer is kept for that stamp. Identical requests
arriving while the first is being computed wait for it instead of computing again.

The stamp is taken before the request is passed on, so an answer that raced with a
write is filed under the older stamp and never replayed. Only 200 answers are kept:
errors, "store busy" 503s and writes always go through.

:func:`warm` readies a freshly started server before it serves: it answers the default
request of every dashboard page and of the monitor API once, in process (and a provenance
and an event-study page for what the store holds, :func:`derived_paths`), so the query
shapes are compiled and the results every page reads are in the store-stamped result
cache (:class:`magwatch.web.access.StoreAccess`) when the first visitor arrives. Only
rendering is left for that first request. The results stay keyed by the store stamp:
a write changes the stamp and the next read computes afresh from the store.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import quote

from magwatch.web.access import StampedCache

#: Read routes whose answer depends only on the request and the store state.
CACHED_PREFIXES = ("/api/v1/", "/partner/", "/events", "/provenance", "/risk")
CACHED_PATHS = frozenset({"/"})


def cacheable(path: str) -> bool:
    return path in CACHED_PATHS or path.startswith(CACHED_PREFIXES)


class _Capture:
    """Forwards an answer to the client and keeps a copy of it while it is small enough."""

    def __init__(self, send, max_bytes: int) -> None:
        self.send, self.max_bytes = send, max_bytes
        self.status = 0
        self.headers: list = []
        self.chunks: list[bytes] = []
        self.size = 0
        self.complete = False
        self.keep = True

    async def __call__(self, message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
            self.keep = self.status == 200
        elif kind == "http.response.body" and self.keep:
            body = message.get("body", b"")
            self.size += len(body)
            if self.size > self.max_bytes:
                self.keep, self.chunks = False, []
            else:
                self.chunks.append(body)
            self.complete = not message.get("more_body", False)
        await self.send(message)

    def entry(self) -> tuple[int, list, bytes] | None:
        if not (self.keep and self.complete):
            return None
        return self.status, self.headers, b"".join(self.chunks)


class ResponseCache:
    """ASGI middleware: replay a read route's 200 answer for the same request and store state."""

    def __init__(self, app, fastapi_app, *, max_bytes: int = 64 << 20,
                 max_entry_bytes: int = 8 << 20, max_entries: int = 4096) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self.max_entry_bytes = max_entry_bytes
        self.cache = StampedCache(max_entries, max_bytes, max_entry_bytes)
        self._flights: dict[tuple, asyncio.Future] = {}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not cacheable(scope["path"]):
            await self.app(scope, receive, send)
            return
        stamp = self.fastapi_app.state.access.stamp()
        if stamp is None:                    # no store: the route says so (503)
            await self.app(scope, receive, send)
            return
        host = next((v for k, v in scope["headers"] if k == b"host"), b"")
        key = (scope["path"], scope["query_string"], host, scope.get("scheme"), scope.get("root_path"))
        found, entry = self.cache.lookup(key, stamp)
        if not found and (key, stamp) in self._flights:
            entry = await asyncio.shield(self._flights[(key, stamp)])
            if entry is None:                # the first answer was not kept: answer this one afresh
                await self.app(scope, receive, send)
                return
            found = True
        if found:
            await self._replay(entry, send)
            return
        flight = asyncio.get_running_loop().create_future()
        self._flights[(key, stamp)] = flight
        capture = _Capture(send, self.max_entry_bytes)
        try:
            await self.app(scope, receive, capture)
        finally:
            entry = capture.entry()
            if entry is not None:
                self.cache.store(key, stamp, entry, len(entry[2]))
            del self._flights[(key, stamp)]
            flight.set_result(entry)

    @staticmethod
    async def _replay(entry: tuple[int, list, bytes], send: Any) -> None:
        status, headers, body = entry
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


#: The requests :func:`warm` answers at start: each dashboard page's default view, the focus
#: destinations' partner pages and the monitor API's latest month.
WARM_PATHS = ("/", "/events", "/risk", "/api/v1/monitor", "/api/v1/info",
              "/partner/USA", "/partner/DEU", "/partner/JPN", "/partner/KOR", "/partner/IND")
#: The host the warm-up's requests carry: no client sends it, so their whole answers are
#: never replayed to anyone; what they leave behind is the result cache underneath.
WARM_HOST = b"magwatch.warm"


async def _answer(app, path: str) -> int:
    """Status of one in-process GET of ``path`` through the whole ASGI application."""
    raw, _, query = path.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": raw, "raw_path": raw.encode(), "root_path": "",
             "query_string": query.encode(), "headers": [(b"host", WARM_HOST)],
             "client": ("127.0.0.1", 0), "server": ("127.0.0.1", 0)}
    status = 0

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def derived_paths(app) -> list[str]:
    """Pages the warm-up answers for what the store holds: the provenance of the world total in
    the newest month and the event study of the newest event. Their query shapes are then
    compiled, so a visitor's first provenance or study page, for any month or event, only
    runs its queries. Empty if the store cannot be read (the pages then say why)."""
    try:
        info = app.state.access.read(("info",), lambda mw: mw.info())
        events = app.state.access.read(("warm-events",), lambda mw: mw.events().to_pylist())
    except Exception:                       # no store yet, or one the pages refuse
        return []
    paths = [f"/provenance?partner=WLD&period={info['newest_month']}"] if info.get("newest_month") else []
    newest = max(events, key=lambda e: (e["event_date"], e["event_id"]), default=None)
    if newest is not None:
        paths.append(f"/events/study?event={quote(str(newest['event_id']))}")
    return paths


async def warm(app, paths=None) -> dict[str, tuple[int, float]]:
    """Answer ``paths`` (default: :data:`WARM_PATHS` and :func:`derived_paths`) once each in
    process; (status, ms) per path. Never raises for a path."""
    done = {}
    if paths is None:
        paths = (*WARM_PATHS, *derived_paths(app))
    for path in paths:
        t0 = time.perf_counter()
        try:
            status = await _answer(app, path)
        except Exception:                   # a page that fails here fails the same way when asked
            status = 0
        done[path] = (status, round((time.perf_counter() - t0) * 1000, 1))
    return done


__all__ = ["ResponseCache", "cacheable", "CACHED_PREFIXES", "WARM_PATHS", "derived_paths", "warm"]
