"""How the web server reaches the store: short read-only handles, one writer, a result cache.

The server never holds the store open between requests, so ``magwatch import``
in another process can take the write lock while the server runs; a request that
meets that lock gets :class:`~magwatch.errors.StoreError` (answered as 503 with
``Retry-After``). Inside the server, reads share one lock and a write takes it
alone, because DuckDB refuses a read-only and a read-write connection to the
same file in one process. At most ``concurrent_reads`` calls (default 2) compute
at once: more would only fight over the interpreter lock (DuckDB already uses every
core for one query), fewer would let one long call (a scenario run) hold up the rest.

Results are cached per call and per *store stamp* (:func:`store_stamp`): the
identity, size and modification time of the store file, a digest of its
database headers (DuckDB bumps a counter in them at every checkpoint) and the
size and modification time of its write-ahead log (which only grows between
checkpoints). Any committed write, by this server or by another process, changes
the stamp, so a cached result is only ever served for the exact store state it
was computed from. The stamp is taken *before* a result is computed: a result
that raced with a write is filed under the older stamp and never served again.

Concurrent requests for the same call and stamp compute it once: the first
computes, the others wait for its result (or its error).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Hashable

import pyarrow as pa

import magwatch
from magwatch.errors import StoreError

#: DuckDB's file starts with a main header and two database headers of 4 KiB each; the
#: database headers carry a checksum and an iteration counter rewritten at each checkpoint.
HEADER_BYTES = 3 * 4096


def store_stamp(path: Path) -> tuple | None:
    """A value that changes whenever the store at ``path`` is written; None if there is no store.

    Two ``stat`` calls and one 12 KiB read (about 15 microseconds): cheap enough to take
    on every request.
    """
    try:
        with path.open("rb") as f:
            st = os.fstat(f.fileno())
            header = hashlib.blake2b(f.read(HEADER_BYTES), digest_size=16).digest()
    except FileNotFoundError:
        return None
    try:
        wal = path.with_name(path.name + ".wal").stat()
    except FileNotFoundError:
        wal_part = None
    else:
        wal_part = (wal.st_ino, wal.st_size, wal.st_mtime_ns)
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, header, wal_part)


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


class StampedCache:
    """Values by ``(key, stamp)``, least recently used first out, bounded in entries and bytes.

    Only the latest stamp seen is kept: seeing a new stamp drops every entry of older
    ones (a store that changed never goes back to an old state). ``size`` is what the
    caller says a value weighs (bytes of a body, ``nbytes`` of a table); a value heavier
    than ``max_entry_bytes`` is not kept.
    """

    def __init__(self, max_entries: int, max_bytes: int, max_entry_bytes: int) -> None:
        self.max_entries, self.max_bytes, self.max_entry_bytes = max_entries, max_bytes, max_entry_bytes
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._stamp: tuple | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes

    def _see(self, stamp: tuple) -> None:
        if stamp != self._stamp:
            self._stamp = stamp
            self._entries.clear()
            self._bytes = 0

    def lookup(self, key: Hashable, stamp: tuple) -> tuple[bool, Any]:
        with self._lock:
            self._see(stamp)
            found = self._entries.get(key)
            if found is None:
                return False, None
            self._entries.move_to_end(key)
            return True, found[0]

    def store(self, key: Hashable, stamp: tuple, value: Any, size: int = 0) -> None:
        with self._lock:
            if self._stamp is None:
                self._see(stamp)
            if stamp != self._stamp or size > self.max_entry_bytes:
                return                      # computed for a state that is already gone, or too big
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (value, size)
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


class _Flight:
    """One call being computed; others asking for it wait on ``done``."""

    __slots__ = ("done", "result", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


def _weight(value: Any) -> int:
    """What a cached result weighs for the byte budget: Arrow tables and bytes count, the rest
    (small dicts and lists of one page or one month) counts by entries only."""
    if isinstance(value, pa.Table):
        return value.nbytes
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    return 0


class StoreAccess:
    """Open the store per call; cache read results by call and store stamp."""

    def __init__(self, db_path: str | Path, *, cache_entries: int = 128,
                 cache_bytes: int = 64 << 20, concurrent_reads: int = 2) -> None:
        self.path = Path(db_path)
        self.cache = StampedCache(cache_entries, cache_bytes, max_entry_bytes=cache_bytes // 4)
        self._lock = ReadWriteLock()
        self._computing = threading.BoundedSemaphore(concurrent_reads)
        self._flights: dict[tuple, _Flight] = {}
        self._flights_lock = threading.Lock()

    def stamp(self) -> tuple | None:
        """See :func:`store_stamp`."""
        return store_stamp(self.path)

    def read(self, key: Hashable, call: Callable[[magwatch.Magwatch], Any]) -> Any:
        """``call(handle)`` on a read-only handle, or its cached result for this store state."""
        stamp = self.stamp()
        if stamp is None:
            raise StoreError(f"store {self.path} does not exist; run 'magwatch load' first")
        full = (key, stamp)
        with self._flights_lock:
            found, result = self.cache.lookup(key, stamp)
            if found:
                return result
            flight = self._flights.get(full)
            leader = flight is None
            if leader:
                flight = self._flights[full] = _Flight()
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.result
        try:
            with self._lock.reading(), self._computing:
                with magwatch.open(self.path, read_only=True) as handle:
                    flight.result = call(handle)
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._flights_lock:
                if flight.error is None:
                    self.cache.store(key, stamp, flight.result, _weight(flight.result))
                del self._flights[full]
            flight.done.set()
        return flight.result

    def write(self, call: Callable[[magwatch.Magwatch], Any]) -> Any:
        """``call(handle)`` on a read-write handle, alone; cached reads become stale by stamp."""
        with self._lock.writing():
            with magwatch.open(self.path) as handle:
                result = call(handle)
        self.cache.clear()
        return result
