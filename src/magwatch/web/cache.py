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
"""

from __future__ import annotations

import asyncio
from typing import Any

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


__all__ = ["ResponseCache", "cacheable", "CACHED_PREFIXES"]
