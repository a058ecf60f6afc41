"""The web server's caches: replayed answers are exact for the store state, and stay bounded.

A write through the API and an import by another process must both make earlier answers
unreachable; identical concurrent requests compute once; only 200 answers are kept.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient  # noqa: E402

from magwatch.errors import StoreError  # noqa: E402
from magwatch.web.access import StampedCache, StoreAccess, store_stamp  # noqa: E402
from magwatch.web.app import create_app  # noqa: E402
from magwatch.web.cache import ResponseCache, cacheable  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _run(coro):
    """asyncio.run in a thread of its own: a browser test earlier in this process (Playwright's
    sync API) may keep an event loop running in the main thread."""
    import asyncio
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


TOKEN = "cache-test-token"
MAGWATCH = Path(sys.executable).with_name("magwatch")


def _response_cache(app) -> ResponseCache:
    if app.middleware_stack is None:               # built on the first request otherwise
        app.middleware_stack = app.build_middleware_stack()
    layer = app.middleware_stack
    while not isinstance(layer, ResponseCache):
        layer = layer.app
    return layer


@pytest.fixture
def store(bundled_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store.duckdb"
    shutil.copy(bundled_db, copy)
    return copy


def test_a_repeat_is_replayed_with_the_same_body_and_headers(store):
    client = TestClient(create_app(store, token=None))
    first = client.get("/api/v1/monitor", params={"month": "2025-06"})
    cache = _response_cache(client.app)
    assert first.status_code == 200 and len(cache.cache) == 1
    again = client.get("/api/v1/monitor", params={"month": "2025-06"})
    assert again.content == first.content and again.json()["world"]["net_weight_t"] == 3188.0
    assert len(cache.cache) == 1
    for name in ("content-type", "content-length", "content-security-policy", "x-content-type-options"):
        assert again.headers[name] == first.headers[name]


def test_an_event_added_through_the_api_is_seen_at_once(store):
    client = TestClient(create_app(store, token=TOKEN))
    params = {"from": "2026-02-01", "to": "2026-02-28"}
    assert client.get("/api/v1/events", params=params).json()["total"] == 0
    page_before = client.get("/events", params=params).text
    event = {"date": "2026-02-03", "actor": "Cache test ministry", "event_type": "other",
             "summary": "An event added to test the cache", "partners": "USA"}
    r = client.post("/api/v1/events", json=event, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 201, r.text
    after = client.get("/api/v1/events", params=params).json()
    assert after["total"] == 1 and after["rows"][0]["actor"] == "Cache test ministry"
    assert "Cache test ministry" not in page_before
    assert "Cache test ministry" in client.get("/events", params=params).text


def test_an_import_by_another_process_is_seen_at_once(store, tmp_path):
    client = TestClient(create_app(store, token=None))
    query = {"partner": "FRA", "commodity": "85059000", "months": 0}
    assert client.get("/api/v1/flows", params=query).json()["total"] == 0
    assert client.get("/api/v1/flows", params=query).json()["total"] == 0      # replayed
    stamp = store_stamp(store)
    # test figures, not magnet data
    data = tmp_path / "one.parquet"
    pq.write_table(pa.table({"reporter": ["CHN"], "partner": ["FRA"], "flow": ["X"],
                             "commodity": ["85059000"], "period": ["2026-01"],
                             "net_weight_kg": [1234.0]}), data)
    done = subprocess.run([str(MAGWATCH), "--db", str(store), "import", str(data), "--vintage",
                           "2026-02-01"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert store_stamp(store) != stamp
    rows = client.get("/api/v1/flows", params=query).json()
    assert rows["total"] == 1 and rows["rows"][0]["net_weight_t"] == 1.234
    assert rows["rows"][0]["source"] == "user"


def test_the_stamp_is_stable_while_nothing_writes(store):
    first = store_stamp(store)
    client = TestClient(create_app(store, token=None))
    client.get("/api/v1/monitor", params={"month": "2025-06"})        # read-only opens
    assert store_stamp(store) == first
    assert store_stamp(store.with_name("missing.duckdb")) is None


def test_errors_are_not_kept(store):
    client = TestClient(create_app(store, token=None), raise_server_exceptions=False)
    cache = _response_cache(client.app)
    assert client.get("/api/v1/monitor", params={"month": "1990-01"}).status_code == 404
    assert client.get("/api/v1/flows", params={"period": "June"}).status_code == 400
    assert len(cache.cache) == 0


def test_the_next_link_follows_the_host_asked(store):
    client = TestClient(create_app(store, token=None))
    params = {"months": 0, "limit": 5}
    a = client.get("/api/v1/flows", params=params, headers={"host": "127.0.0.1:8000"}).json()
    b = client.get("/api/v1/flows", params=params, headers={"host": "localhost:9000"}).json()
    assert a["next"].startswith("http://127.0.0.1:8000/") and b["next"].startswith("http://localhost:9000/")


def test_what_is_cached():
    assert cacheable("/api/v1/monitor") and cacheable("/") and cacheable("/partner/USA")
    assert cacheable("/provenance") and cacheable("/events/study")
    assert not cacheable("/healthz") and not cacheable("/static/chart.js")
    assert not cacheable("/openapi.json") and not cacheable("/api/docs")


def test_concurrent_identical_reads_compute_once(store):
    access = StoreAccess(store)
    calls = []
    gate = threading.Event()

    def call(mw):
        calls.append(1)
        gate.wait(5)
        return mw.info()["observations"]

    results = []
    threads = [threading.Thread(target=lambda: results.append(access.read(("info",), call)))
               for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    gate.set()
    for t in threads:
        t.join(10)
    assert len(calls) == 1 and len(results) == 8 and len(set(results)) == 1


def test_waiters_get_the_error_of_the_computation(store):
    access = StoreAccess(store)
    gate = threading.Event()

    def call(mw):
        gate.wait(5)
        raise StoreError("store busy (test)")

    outcomes = []

    def worker():
        try:
            access.read(("boom",), call)
        except StoreError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    gate.set()
    for t in threads:
        t.join(10)
    assert outcomes == ["store busy (test)"] * 4
    assert access.read(("info",), lambda mw: 1) == 1               # nothing left waiting


def test_stamped_cache_bounds_and_stamps():
    cache = StampedCache(max_entries=3, max_bytes=100, max_entry_bytes=60)
    for i in range(5):
        cache.store(i, "s1", f"v{i}", size=10)
    assert len(cache) == 3 and cache.lookup(0, "s1") == (False, None) and cache.lookup(4, "s1") == (True, "v4")
    cache.store("big", "s1", "x", size=61)                            # heavier than one entry may be
    assert cache.lookup("big", "s1") == (False, None)
    cache.store("a", "s1", "a", size=50)
    cache.store("b", "s1", "b", size=50)
    assert cache.bytes <= 100 and cache.lookup("b", "s1") == (True, "b")
    assert cache.lookup("b", "s2") == (False, None) and len(cache) == 0   # a new state drops the old
    cache.store("late", "s1", "old state", size=1)                    # computed for a state now gone
    assert cache.lookup("late", "s2") == (False, None) and len(cache) == 0


def _count_opens(monkeypatch) -> list:
    import magwatch.web.access as access

    opened, real = [], access.magwatch.open
    monkeypatch.setattr(access.magwatch, "open", lambda *a, **k: opened.append(a) or real(*a, **k))
    return opened


def test_a_warmed_server_answers_its_first_requests_without_the_store(store, monkeypatch):
    from magwatch.web.cache import WARM_PATHS, warm

    app = create_app(store, token=None)
    done = _run(warm(app))
    assert set(WARM_PATHS) < set(done) and {s for s, _ in done.values()} == {200}
    assert any(p.startswith("/provenance?partner=WLD&period=") for p in done)      # derived_paths
    assert any(p.startswith("/events/study?event=") for p in done)
    opened = _count_opens(monkeypatch)
    client = TestClient(app)
    answers = {p: client.get(p) for p in ("/", "/api/v1/monitor", "/risk", "/partner/DEU")}
    assert opened == [] and all(r.status_code == 200 for r in answers.values())
    fresh = TestClient(create_app(store, token=None))      # rebuilt from the store: the same answer
    assert fresh.get("/api/v1/monitor").content == answers["/api/v1/monitor"].content


def test_a_write_after_the_warm_up_is_read_from_the_store(store, monkeypatch):
    from magwatch.web.cache import warm

    app = create_app(store, token=TOKEN)
    _run(warm(app, ("/api/v1/monitor",)))
    client = TestClient(app)
    before = client.get("/api/v1/monitor").json()
    event = {"date": "2026-02-03", "actor": "Warm-up test ministry", "event_type": "other",
             "summary": "An event added after the warm-up", "partners": "USA"}
    added = client.post("/api/v1/events", json=event, headers={"Authorization": f"Bearer {TOKEN}"})
    assert added.status_code == 201, added.text
    opened = _count_opens(monkeypatch)
    after = client.get("/api/v1/monitor").json()
    assert opened and after["world"] == before["world"]
