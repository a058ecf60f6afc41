"""How the web server reaches the store: short read-only handles, one writer, a result cache.

The server never holds the store open between requests, so ``magwatch import``
in another process can take the write lock while the server runs; a request that
meets that lock gets :class:`~magwatch.errors.StoreError` (answered as 503 with
``Retry-After``). Inside the server, reads share one lock and a write takes it
alone, because DuckDB refuses a read-only and a read-write connection to the
same file in one process.

Results are cached per call and per *store stamp*: the size and modification
time of the store file and its write-ahead log. Any write (an ingest, an added
event, a write by another process) changes the stamp, so a cached result is
only ever served for the exact store state it was computed from.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Hashable

import magwatch
from magwatch.errors import StoreError


class ReadWriteLock:
    """Many readers or one writer (writers are not starved: a waiting writer blocks new readers)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0

    @contextmanager
    def reading(self):
        with self._cond:
            while self._writer or self._waiting_writers:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def writing(self):
        with self._cond:
            self._waiting_writers += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting_writers -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class StoreAccess:
    """Open the store per call; cache read results by call and store stamp."""

    def __init__(self, db_path: str | Path, *, cache_entries: int = 256) -> None:
        self.path = Path(db_path)
        self.cache_entries = cache_entries
        self._lock = ReadWriteLock()
        self._cache: OrderedDict[tuple, Any] = OrderedDict()
        self._cache_lock = threading.Lock()

    def stamp(self) -> tuple:
        """Size and mtime of the store file and its WAL: changes whenever the store is written."""
        parts = []
        for path in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                st = path.stat()
            except FileNotFoundError:
                parts.append(None)
            else:
                parts.append((st.st_size, st.st_mtime_ns))
        return tuple(parts)

    def cached(self, key: Hashable) -> tuple[bool, Any]:
        """``(True, result)`` if ``key`` is cached for the current store state, else ``(False, None)``.

        Never opens the store (two ``stat`` calls and a dictionary lookup), so an async
        route can answer a repeat without a worker thread.
        """
        return self._lookup((key, self.stamp()))

    def _lookup(self, full_key: tuple) -> tuple[bool, Any]:
        with self._cache_lock:
            if full_key in self._cache:
                self._cache.move_to_end(full_key)
                return True, self._cache[full_key]
        return False, None

    def read(self, key: Hashable, call: Callable[[magwatch.Magwatch], Any]) -> Any:
        """``call(handle)`` on a read-only handle, or its cached result for this store state."""
        if not self.path.exists():
            raise StoreError(f"store {self.path} does not exist; run 'magwatch load' first")
        stamp = self.stamp()
        found, result = self._lookup((key, stamp))
        if found:
            return result
        with self._lock.reading():
            with magwatch.open(self.path, read_only=True) as handle:
                result = call(handle)
        with self._cache_lock:
            # A store that changed never goes back to an old stamp: drop what it made stale.
            for stale in [k for k in self._cache if k[1] != stamp]:
                del self._cache[stale]
            self._cache[(key, stamp)] = result
            while len(self._cache) > self.cache_entries:
                self._cache.popitem(last=False)
        return result

    def write(self, call: Callable[[magwatch.Magwatch], Any]) -> Any:
        """``call(handle)`` on a read-write handle, alone; cached reads become stale by stamp."""
        with self._lock.writing():
            with magwatch.open(self.path) as handle:
                result = call(handle)
        with self._cache_lock:
            self._cache.clear()
        return result
