"""Writing a file or a folder under a temporary name and renaming it when complete.

A writer (backup, restore, export) works on ``.NAME.partial-PID`` beside its target and
moves it into place with one rename, so a reader or a crash sees the old target or the
new one, never a half-written one. A writer killed before the rename leaves its partial
copy behind; the next writer to the same target removes every partial copy whose process
is no longer running (:func:`remove_leftovers`).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

# a partial copy of a backup, restore or export, or a writer's private copy of the store
_PARTIAL = re.compile(r"\.(?P<name>.+)\.(?:partial|writing)-(?P<pid>\d+)(?P<wal>\.wal)?")


def temp_beside(path: Path) -> Path:
    """The temporary name this process writes ``path`` under."""
    return path.with_name(f".{path.name}.partial-{os.getpid()}")


def process_alive(pid: int) -> bool:
    """Whether a process ``pid`` is running (a process of another user counts as running)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:
        return False
    return True


def leftovers(path: Path) -> list[Path]:
    """Partial copies of ``path`` left by writers that are no longer running."""
    if not path.parent.is_dir():
        return []
    found = []
    for candidate in path.parent.iterdir():
        match = _PARTIAL.fullmatch(candidate.name)
        if match and match["name"] == path.name and not process_alive(int(match["pid"])):
            found.append(candidate)
    return sorted(found)


def remove(path: Path) -> None:
    """Remove a file or a folder (and a DuckDB write-ahead log beside a file); absent is fine."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
        return
    for p in (path, Path(str(path) + ".wal")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def remove_leftovers(path: Path) -> list[Path]:
    """Remove the partial copies of ``path`` that crashed writers left; return them."""
    found = leftovers(path)
    for p in found:
        remove(p)
    return found


def fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def fsync_tree(root: Path) -> None:
    """Flush every file and folder below ``root`` (and ``root``) to disk."""
    for folder, _, files in os.walk(root):
        for name in files:
            fsync_file(Path(folder) / name)
        fsync_dir(Path(folder))


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all: a temporary file, flushed, then renamed."""
    temp = temp_beside(path)
    with open(temp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    fsync_dir(path.parent)
