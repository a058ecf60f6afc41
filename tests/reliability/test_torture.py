"""Crash consistency: ingests, fetches and alert runs killed with SIGKILL at random points.

After every kill the store opens, every release in it is whole (its rows_added rows are
there, no row belongs to a missing release), the interrupted release is either wholly
present or absent, and a re-run completes with no duplicated observation. Two writers at
once: the second is refused with "in use". Readers during an ingest are never refused and
see the old or the new state, never a mix.

The fetch runs against a replay server on 127.0.0.1 answering in the Comtrade envelope
(rows built from the recorded sample's row layout; test figures, not magnet data).
"""

from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import magwatch
from magwatch.records import CLAIM_KEY, OBSERVATION_KEY
from magwatch.store.schema import fetch_one

SAMPLE = Path(__file__).resolve().parents[1] / "sources" / "samples" / "get_C_A_HS_r156_2010_TOTAL.raw.json"
ROWS = 200_000

CHILD = r"""
import sys, magwatch
db, action, arg = sys.argv[1:4]
if action == "ingest":
    with magwatch.open(db) as mw:
        mw.import_file(arg, vintage="2025-01-31")
elif action == "fetch":
    with magwatch.open(db) as mw:
        mw.fetch("comtrade", reporter="CHN", commodity="850511", flow="X",
                 start="2025-01", end="2025-06", base_url=arg)
elif action == "alerts":
    with magwatch.open(db) as mw:
        for _ in range(3):
            mw.alerts(month="2025-06")
print("done", flush=True)
"""

# -- the replay server ------------------------------------------------------------------------

PARTNERS = [842, 276, 392, 410, 356, 528, 380, 250, 826, 764, 704, 36, 124, 484, 76]
MONTHS = ["202501", "202502", "202503", "202504", "202505", "202506"]


def comtrade_answer() -> bytes:
    template = json.loads(SAMPLE.read_bytes())["data"][0]
    rows = []
    for period in MONTHS:
        for i, partner in enumerate(PARTNERS):
            row = copy.deepcopy(template)
            weight = 1000.0 + 10 * i + int(period[-2:])
            row.update(freqCode="M", period=period, refPeriodId=int(period + "01"),
                       refYear=int(period[:4]), refMonth=int(period[4:]), cmdCode="850511",
                       partnerCode=partner, flowCode="X", netWgt=weight, qtyUnitCode=8,
                       qtyUnitAbbr="kg", qty=weight, primaryValue=weight * 50, cifvalue=None,
                       fobvalue=weight * 50)
            rows.append(row)
    return json.dumps({"elapsedTime": "0.1 secs", "count": len(rows), "data": rows,
                       "error": ""}).encode()


def availability() -> bytes:
    return json.dumps({"elapsedTime": "0.01 secs", "count": len(MONTHS), "error": "", "data": [
        {"datasetCode": "1", "typeCode": "C", "freqCode": "M", "period": p, "reporterCode": 156,
         "reporterISO": "CHN", "classificationCode": "H6", "totalRecords": len(PARTNERS),
         "datasetChecksum": 7, "firstReleased": "2026-01-30T10:00:00",
         "lastReleased": "2026-01-30T10:00:00"} for p in MONTHS]}).encode()


@pytest.fixture(scope="module")
def replay():
    routes = {"/public/v1/getDa/C/M/HS": availability(),
              "/public/v1/preview/C/M/HS": comtrade_answer()}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = routes.get(urllib.parse.urlsplit(self.path).path)
            time.sleep(0.15)              # widen the window a kill can land in
            try:
                if body is None:
                    self.send_response(404)
                    body = b'{"message":"no such route"}'
                else:
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


# -- helpers ------------------------------------------------------------------------------------


def synthetic_parquet(path: Path, rows: int = ROWS) -> Path:
    # Test figures in the canonical columns (not magnet data): many commodities x months.
    rng = np.random.default_rng(11)
    month = np.arange(rows) // 1000
    pq.write_table(pa.table({
        "reporter": np.full(rows, "CHN"), "partner": np.full(rows, "DEU"),
        "flow": np.full(rows, "X"),
        "commodity": (85051000 + np.arange(rows) % 1000).astype(str),
        "period": [f"{1988 + m // 12}-{m % 12 + 1:02d}" for m in month],
        "net_weight_kg": rng.lognormal(8, 2, rows),
    }), path, row_group_size=50_000)
    return path


def child_env(tmp_path: Path) -> dict:
    env = dict(os.environ)
    for name in ("COMTRADE_API_KEY", "MAGWATCH_COMTRADE_BASE_URL"):
        env.pop(name, None)
    env.update(MAGWATCH_COMTRADE_CALLS_PER_MINUTE="60000", MAGWATCH_HTTP_ATTEMPTS="2",
               MAGWATCH_CACHE_DIR=str(tmp_path / "cache"))
    return env


def whole(db: Path) -> dict:
    """Open the store read-write and check every invariant; return per-source row counts."""
    with magwatch.open(db) as mw:
        con = mw.store.con
        one = lambda q: fetch_one(con.execute(q))[0]  # noqa: E731
        broken = con.execute(
            "SELECT r.release_id, r.rows_added, (SELECT count(*) FROM observation o "
            "WHERE o.release_id = r.release_id), r.claims_added, (SELECT count(*) FROM claim c "
            "WHERE c.release_id = r.release_id) FROM release r").fetchall()
        for release_id, added, present, claims_added, claims_present in broken:
            assert added == present and claims_added == claims_present, f"release {release_id} is partial"
        assert one("SELECT count(*) FROM observation WHERE release_id NOT IN "
                   "(SELECT release_id FROM release)") == 0
        key = ", ".join(OBSERVATION_KEY)
        assert one(f"SELECT count(*) FROM (SELECT {key}, vintage FROM observation "
                   f"GROUP BY ALL HAVING count(*) > 1)") == 0
        assert one(f"SELECT count(*) FROM (SELECT {key} FROM observation_latest "
                   f"GROUP BY ALL HAVING count(*) > 1)") == 0
        assert one(f"SELECT count(*) FROM (SELECT {', '.join(CLAIM_KEY)} FROM claim_latest "
                   f"GROUP BY ALL HAVING count(*) > 1)") == 0
        assert one("SELECT count(*) FROM (SELECT source, sha256 FROM release WHERE sha256 IS NOT "
                   "NULL GROUP BY ALL HAVING count(*) > 1)") == 0
        return dict(con.execute("SELECT source, count(*) FROM observation GROUP BY source").fetchall())


def run_child(db: Path, action: str, arg: str, env: dict, *, kill_after: float | None):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(db), action, arg], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if kill_after is None:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 and "done" in out, err
        return True
    time.sleep(kill_after)
    proc.kill()                                 # SIGKILL: no cleanup runs
    out, _ = proc.communicate(timeout=60)
    return "done" in out


def torture_trial(bundled_db: Path, tmp_path: Path, replay: str, trial: int) -> None:
    rng = random.Random(trial)
    action = ("ingest", "fetch", "alerts")[trial % 3]
    db = tmp_path / f"t{trial}.duckdb"
    db.write_bytes(bundled_db.read_bytes())
    env = child_env(tmp_path)
    arg = {"ingest": str(tmp_path / "big.parquet"), "fetch": replay, "alerts": "-"}[action]
    if action == "ingest" and not Path(arg).exists():
        synthetic_parquet(Path(arg))
    before = whole(db)
    run_child(db, action, arg, env, kill_after=rng.uniform(0.3, 3.0))
    after = whole(db)
    expected_new = {"ingest": ("user", ROWS), "fetch": ("comtrade", len(MONTHS) * len(PARTNERS)),
                    "alerts": None}[action]
    if expected_new is None:
        assert after == before                  # an alert run writes no observation
    else:
        source, n = expected_new
        assert after.get(source, 0) in (before.get(source, 0), before.get(source, 0) + n)
    # the re-run completes and lands everything exactly once
    run_child(db, action, arg, env, kill_after=None)
    final = whole(db)
    if expected_new is not None:
        source, n = expected_new
        assert final[source] == before.get(source, 0) + n
    run_child(db, action, arg, env, kill_after=None)   # and once more adds nothing
    assert whole(db) == final


@pytest.mark.parametrize("trial", range(3))
def test_sigkill_at_a_random_point(bundled_db, tmp_path, replay, trial):
    torture_trial(bundled_db, tmp_path, replay, trial)


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(3, 57))
def test_sigkill_at_a_random_point_full(bundled_db, tmp_path, replay, trial):
    torture_trial(bundled_db, tmp_path, replay, trial)


def test_two_writers_one_is_refused_with_in_use(bundled_db, tmp_path):
    db = tmp_path / "s.duckdb"
    db.write_bytes(bundled_db.read_bytes())
    data = synthetic_parquet(tmp_path / "big.parquet")
    before = whole(db)
    first = subprocess.Popen([sys.executable, "-c", CHILD, str(db), "ingest", str(data)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.05)
    refused = 0
    deadline = time.monotonic() + 60
    while first.poll() is None and time.monotonic() < deadline:
        second = subprocess.run([sys.executable, "-m", "magwatch", "--db", str(db), "import",
                                 str(data)], capture_output=True, text=True, timeout=120)
        if second.returncode != 0:
            assert second.returncode == 3 and second.stderr.count("\n") == 1
            assert "in use by another magwatch process" in second.stderr
            refused += 1
            break
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert refused == 1, "the second writer never met the first one"
    assert whole(db)["user"] == before.get("user", 0) + ROWS


def test_readers_during_an_ingest_see_old_or_new_never_a_mix(bundled_db, tmp_path):
    db = tmp_path / "s.duckdb"
    db.write_bytes(bundled_db.read_bytes())
    data = synthetic_parquet(tmp_path / "big.parquet")
    state = "SELECT (SELECT count(*) FROM release), (SELECT count(*) FROM observation), " \
            "(SELECT count(*) FROM observation_latest)"
    seen, errors = set(), []
    with magwatch.open(db) as mw:
        old = fetch_one(mw.store.con.execute(state))
        stop = threading.Event()

        def reader():
            cursor = mw.store.cursor()          # its own transactions on the same database
            try:
                while not stop.is_set():
                    seen.add(fetch_one(cursor.execute(state)))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                cursor.close()

        threads = [threading.Thread(target=reader) for _ in range(2)]
        for t in threads:
            t.start()
        mw.import_file(data, vintage="2025-01-31")
        new = fetch_one(mw.store.con.execute(state))
        time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    assert new == (old[0] + 1, old[1] + ROWS, old[2] + ROWS)
    assert seen <= {old, new} and old in seen
    # another process meanwhile: refused with "in use" (never a half state), or sees old/new
    with magwatch.open(db, read_only=True) as reader:
        assert fetch_one(reader.store.con.execute(state)) == new


def test_a_reader_process_during_an_ingest_is_never_refused_and_sees_a_whole_state(bundled_db,
                                                                                  tmp_path):
    db = tmp_path / "s.duckdb"
    db.write_bytes(bundled_db.read_bytes())
    data = synthetic_parquet(tmp_path / "big.parquet")
    with magwatch.open(db, read_only=True) as mw:
        old = fetch_one(mw.store.con.execute("SELECT count(*) FROM observation"))[0]
    outcomes = []
    writer = subprocess.Popen([sys.executable, "-c", CHILD, str(db), "ingest", str(data)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while writer.poll() is None:
        with magwatch.open(db, read_only=True) as mw:      # an "in use" here fails the test
            outcomes.append(fetch_one(mw.store.con.execute("SELECT count(*) FROM observation"))[0])
        time.sleep(0.05)
    _, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert outcomes and set(outcomes) <= {old, old + ROWS}
    assert whole(db)["user"] == ROWS
