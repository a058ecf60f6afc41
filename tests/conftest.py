"""Shared fixtures: one store with the bundled data, built once per test session."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, NamedTuple

import pytest

import magwatch

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def bundled_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file with the bundled data loaded. Copy it before writing to it.

    Built once per run: the pytest-xdist workers share the folder above their own and the
    first to take the lock builds the store there (a load keeps every month's monitor
    answers, some seconds of work); the others wait and use it."""
    import fcntl

    root = tmp_path_factory.getbasetemp()
    shared = root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root
    path = shared / "bundled" / "bundled.duckdb"
    with (shared / "bundled.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ready = path.with_name("ready")             # written once the load has closed
        if not ready.exists():
            shutil.rmtree(path.parent, ignore_errors=True)     # a worker that died half-way
            path.parent.mkdir()
            with magwatch.open(path) as mw:
                mw.load()
            ready.touch()
    return path


@pytest.fixture
def mw(bundled_db: Path, tmp_path: Path):
    """A read-write handle on a fresh copy of the bundled store."""
    copy = tmp_path / "store.duckdb"
    shutil.copy(bundled_db, copy)
    with magwatch.open(copy) as handle:
        yield handle


CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium under Playwright, one per test process: every browser test opens its
    pages in it. Playwright's sync API keeps an event loop in the main thread while it runs,
    so a second ``sync_playwright()`` in the same process would fail; nothing else starts one."""
    if CHROMIUM is None:
        pytest.skip("Debian chromium is not installed (apt-get install chromium; make test installs it)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (pip install playwright)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


#: How long a test server may take to start listening (it warms its answers first).
START_TIMEOUT_S = 180


class Ran(NamedTuple):
    """What a command run by the ``cli`` fixture did (unpacks as ``code, out, err``)."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch):
    """``cli(db, *args)``: the real ``magwatch`` entry point run in this process, as
    ``magwatch --db DB ARGS``; returns ``Ran(returncode, stdout, stderr)``. A new process
    costs seconds of imports on a loaded machine; tests about processes spawn them."""
    from magwatch.cli import main

    def run(db: Path, *args: str) -> Ran:
        monkeypatch.setattr(sys, "argv", ["magwatch", "--db", str(db), *args])
        capsys.readouterr()
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out = capsys.readouterr()
        return Ran(code, out.out, out.err)

    return run


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _serve(db: Path, *, token: str | None = None, log: Path | None = None,
           extra: tuple[str, ...] = ()) -> Iterator[tuple[subprocess.Popen, str]]:
    """magwatch's web app under uvicorn on a free 127.0.0.1 port, in a subprocess."""
    port = _free_port()
    env = {**os.environ, "MAGWATCH_DB": str(db)}
    env.pop("MAGWATCH_TOKEN", None)
    if token:
        env["MAGWATCH_TOKEN"] = token
    out = log.open("w") if log else subprocess.PIPE     # a file never blocks a chatty server
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "magwatch.web.app:create_app",
                             "--factory", "--host", "127.0.0.1", "--port", str(port),
                             "--log-level", "warning", *extra],
                            env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        # a bound on a hung start, not a timing check: a loaded 2-core machine takes its time
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited: {log.read_text() if log else proc.stdout.read()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"server did not start within {START_TIMEOUT_S} s")
                time.sleep(0.1)
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log:
            out.close()


@pytest.fixture(scope="session")
def serve_web():
    """``with serve_web(db, token=None, log=None, extra=()) as (process, base_url):``"""
    return _serve


# -- the store's fingerprint, for tests that a refusal changed nothing -----------------------

#: Fetch bookkeeping, not data: a fetch remembers the query it was asked (source_query) so that
#: 'magwatch refresh' can repeat it, also when the answer was refused.
FETCH_BOOKKEEPING = ("source_query", "source_fetch")


def _store_snapshot(store) -> str:
    """A SHA-256 of every data table of ``store`` (a Magwatch handle, or the path of a store
    file, then opened read-only): all tables but the fetch bookkeeping, every row."""
    import hashlib

    if isinstance(store, (str, os.PathLike)):
        with magwatch.open(store, read_only=True) as handle:
            return _store_snapshot(handle)
    con = store.store.con
    tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT "
                                        "temporary ORDER BY table_name").fetchall()
              if r[0] not in FETCH_BOOKKEEPING]
    digest = hashlib.sha256()
    for table in tables:
        digest.update(table.encode())
        digest.update(repr(con.execute(f'SELECT * FROM "{table}" ORDER BY ALL').fetchall()).encode())
    return digest.hexdigest()


def _refused(mw, path, *words: str, error: type | None = None, **kwargs):
    """``mw.import_file(path, **kwargs)`` must raise ``error`` (default InputError) with a
    one-line message holding every one of ``words``, and leave the store as it was.
    Returns the error."""
    from magwatch.errors import InputError

    before = _store_snapshot(mw)
    with pytest.raises(error or InputError) as info:
        mw.import_file(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message, message
    for word in words:
        assert word in message, (word, message)
    assert _store_snapshot(mw) == before, "the store changed"
    return info.value


@pytest.fixture(scope="session")
def store_snapshot():
    """``store_snapshot(mw_or_db_path)``: the hash of every data table (see _store_snapshot)."""
    return _store_snapshot


@pytest.fixture(scope="session")
def refused():
    """``refused(mw, path, *words, error=InputError, **import_kwargs)``: the import is
    refused in one line holding ``words`` and the store is unchanged; returns the error."""
    return _refused
