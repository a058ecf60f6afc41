"""One writer at a time, on a private copy; readers never wait for it.

DuckDB lets one process write a database file and no other process open it meanwhile. So
a writer (an import, fetch, load, event write) never opens the store file itself: it holds
the store's writer lock (``.NAME.lock`` beside it, an ``flock`` the system drops when the
process ends), works on a private copy (``.NAME.writing-PID``) and publishes it whenever
a release commits, by copying it to ``.NAME.partial-PID`` and renaming that over the store
in one step. A reader opens the store file read-only and sees the state of the last
publication, whole; a reader that opened before a publication keeps reading the file as it
was (the rename leaves its open file alone) until it opens the store again.

The cost is one copy of the store file per publication and a second copy's room on disk
while a writer runs (docs/reliability.md gives the figures). A writer killed at any point
leaves the store as last published; the next writer removes its copies.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from pathlib import Path

from magwatch.errors import StoreError
from magwatch.store.atomic import fsync_dir, fsync_file, remove, remove_leftovers, temp_beside


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _state(path: Path) -> tuple:
    """What changes when DuckDB writes ``path`` (its size and time, and its log's)."""
    found = []
    for p in (path, _wal(path)):
        try:
            st = p.stat()
        except FileNotFoundError:
            found.append(None)
        else:
            found.append((st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(found)


class WriterLock:
    """The store's writer lock: held by one process; refused, not waited for, when taken."""

    def __init__(self, store: Path) -> None:
        self.store = store
        self.path = store.with_name(f".{store.name}.lock")
        self._fd: int | None = None

    def acquire(self) -> "WriterLock":
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:       # a read-only folder, a folder in the lock file's place
            raise StoreError(f"cannot lock store {self.store} for writing ({self.path.name}: "
                             f"{exc.strerror or exc})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise StoreError(f"store {self.store} is in use by another magwatch process "
                                 f"writing to it (an import, fetch, load or restore); retry when "
                                 f"it has finished (readers are not affected)") from None
            raise StoreError(f"cannot lock store {self.store}: {exc.strerror or exc}") from None
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)          # closing the descriptor drops the flock
            self._fd = None

    def __enter__(self) -> "WriterLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class PrivateCopy:
    """A writer's copy of the store file, published over the store by :meth:`publish`."""

    def __init__(self, store: Path) -> None:
        self.store = store
        self.path = store.with_name(f".{store.name}.writing-{os.getpid()}")
        self._published: tuple | None = None
        self._legacy_wal = False

    def begin(self) -> Path:
        """Copy the store (with a log an older writer left) to the private path; return it."""
        remove_leftovers(self.store)
        remove(self.path)
        try:
            if self.store.exists():
                shutil.copyfile(self.store, self.path)
                if _wal(self.store).exists():     # left by a writer that wrote the store in place
                    shutil.copyfile(_wal(self.store), _wal(self.path))
                    self._legacy_wal = True
                self._published = _state(self.path)
        except OSError as exc:                    # a full disk, a read-only folder
            remove(self.path)
            raise StoreError(f"cannot copy store {self.store} to write to it "
                             f"({exc.strerror or exc})") from None
        return self.path

    def publish(self) -> bool:
        """Put the copy (checkpointed by the caller) in the store's place if it changed."""
        now = _state(self.path)
        if now == self._published and self.store.exists():
            return False
        temp = temp_beside(self.store)
        remove(temp)
        try:
            shutil.copyfile(self.path, temp)
            fsync_file(temp)
            if self._legacy_wal:              # its content is in the copy now
                remove(_wal(self.store))
                self._legacy_wal = False
            os.replace(temp, self.store)
            fsync_dir(self.store.parent)
        except OSError as exc:
            remove(temp)
            raise StoreError(f"cannot publish store {self.store}: {exc.strerror or exc}") from None
        self._published = now
        return True

    def end(self) -> None:
        remove(self.path)
