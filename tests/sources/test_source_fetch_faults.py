"""`magwatch fetch ... --base-url` against a real HTTP server on 127.0.0.1 that injects faults.

The server replays answers in the recorded shapes (the real Comtrade 401 body, Comtrade
envelopes built from the real sample's rows, Census arrays of strings, Comext JSON-stat)
and injects: 429 with Retry-After, 500/503, a read timeout, a connection reset mid-body,
truncated JSON, an HTML error page, 204 empty and an answer exactly at the row cap. For
each, the command completes correctly or stops with a one-line error, and the store
never holds a partial or duplicated release.
"""

from __future__ import annotations

import copy
import json
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import stamina

import magwatch
import magwatch.report
from magwatch.store.schema import fetch_one

SAMPLES = Path(__file__).resolve().parent / "samples"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False                   # send half the body, then drop the connection
    content_type: str = "application/json"


class Script:
    """Per path, the replies to give in order; the last one repeats."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.log: list[tuple[str, dict]] = []
        self.lock = threading.Lock()

    def on(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def take(self, path: str) -> Reply:
        with self.lock:
            queue = self.routes.get(path)
            if not queue:
                return Reply(404, b'{"message":"no such route in the test server"}')
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def calls(self, path: str) -> list[dict]:
        return [q for p, q in self.log if p == path]


@pytest.fixture
def server():
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def do_GET(self):
            parsed = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(parsed.query)
            script.log.append((parsed.path, query))
            reply = script.take(parsed.path)
            if reply.delay:
                time.sleep(reply.delay)
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if reply.reset:
                    self.wfile.write(reply.body[: len(reply.body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if reply.status != 204:
                    self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    script.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield script
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def fast(monkeypatch, tmp_path):
    stamina.set_testing(True, attempts=3)
    for name in ("COMTRADE_API_KEY", "CENSUS_API_KEY", "MAGWATCH_COMTRADE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for source in ("COMTRADE", "CENSUS", "COMEXT"):
        monkeypatch.setenv(f"MAGWATCH_{source}_CALLS_PER_MINUTE", "60000")
    monkeypatch.setenv("MAGWATCH_HTTP_ATTEMPTS", "3")
    monkeypatch.setenv("MAGWATCH_CACHE_DIR", str(tmp_path / "cache"))
    yield
    stamina.set_testing(False)




def store_counts(db: Path, source: str) -> tuple[int, int, int]:
    """(releases, observation rows, duplicated keys) for one source."""
    with magwatch.open(db, read_only=True) as mw:
        con = mw.store.con
        releases = fetch_one(con.execute("SELECT count(*) FROM release WHERE source = ?", [source]))[0]
        rows = fetch_one(con.execute("SELECT count(*) FROM observation WHERE source = ?", [source]))[0]
        dups = fetch_one(con.execute(
            "SELECT count(*) FROM (SELECT 1 FROM observation WHERE source = ? GROUP BY source_ref, "
            "reporter, partner, flow, commodity, period, period_months, vintage HAVING count(*) > 1)",
            [source]))[0]
    return releases, rows, dups


# -- Comtrade answers in the real envelope and row shape --------------------------------------

TEMPLATE = json.loads((SAMPLES / "get_C_A_HS_r156_2010_TOTAL.raw.json").read_bytes())["data"][0]
DA = "/public/v1/getDa/C/M/HS"
DATA = "/public/v1/preview/C/M/HS"


def ct_row(period: str, partner: int, flow: str, weight: float) -> dict:
    # Test figures (not magnet data) in the real row layout.
    row = copy.deepcopy(TEMPLATE)
    row.update(freqCode="M", period=period, refPeriodId=int(period + "01"), refYear=int(period[:4]),
               refMonth=int(period[4:]), cmdCode="850511", partnerCode=partner, flowCode=flow,
               netWgt=weight, qtyUnitCode=8, qtyUnitAbbr="kg", qty=weight,
               primaryValue=weight * 50, cifvalue=None, fobvalue=weight * 50)
    return row


def ct_body(rows: list[dict], elapsed: str = "0.09 secs", count: int | None = None) -> bytes:
    return json.dumps({"elapsedTime": elapsed, "count": len(rows) if count is None else count,
                       "data": rows, "error": ""}).encode()


def availability(periods: list[str], released: str = "2026-01-30T10:00:00", checksum: int = 7) -> bytes:
    return json.dumps({"elapsedTime": "0.01 secs", "count": len(periods), "error": "", "data": [
        {"datasetCode": "1", "typeCode": "C", "freqCode": "M", "period": p, "reporterCode": 156,
         "reporterISO": "CHN", "classificationCode": "H6", "totalRecords": 10,
         "datasetChecksum": checksum, "firstReleased": released, "lastReleased": released}
        for p in periods]}).encode()


GOOD = ct_body([ct_row("202505", 842, "X", 1000.0), ct_row("202506", 842, "X", 2000.0),
                ct_row("202506", 0, "X", 9000.0)])


def fetch_ct(db, cli, server, *extra):
    return cli(db, "fetch", "comtrade", "--reporter", "CHN", "--commodity", "850511",
               "--flow", "X", "--from", "2025-05", "--to", "2025-06", "--base-url", server.url, *extra)


def test_comtrade_completes_and_rerun_adds_nothing(server, tmp_path, cli):
    db = tmp_path / "s.duckdb"
    server.on(DA, Reply(body=availability(["202505", "202506"])))
    server.on(DATA, Reply(body=GOOD))
    code, out, err = fetch_ct(db, cli, server)
    assert code == 0, err
    assert "3 rows read, 3 added" in out
    query = server.calls(DATA)[0]
    assert query["partner2Code"] == ["0"] and query["customsCode"] == ["C00"] and query["motCode"] == ["0"]
    assert query["period"] == ["202505,202506"] and query["maxRecords"] == ["500"]
    assert store_counts(db, "comtrade") == (1, 3, 0)
    with magwatch.open(db, read_only=True) as mw:
        rows = mw.flows(reporter="CHN", partner="USA", source="comtrade", commodity="850511").to_pylist()
    assert [(r["period"], r["net_weight_t"]) for r in rows] == [("2025-05", 1.0), ("2025-06", 2.0)]
    assert str(rows[0]["vintage"]) == "2026-01-30" and rows[0]["source_url"].startswith(server.url)
    # Same release marker: the batch is not asked again and nothing is added.
    code, out, err = fetch_ct(db, cli, server)
    assert code == 0 and "already fetched" in out
    assert len(server.calls(DATA)) == 1
    assert store_counts(db, "comtrade") == (1, 3, 0)


def test_comtrade_revision_adds_only_changed_rows(server, tmp_path, cli):
    db = tmp_path / "s.duckdb"
    server.on(DA, Reply(body=availability(["202505", "202506"])))
    server.on(DATA, Reply(body=GOOD))
    assert fetch_ct(db, cli, server)[0] == 0
    revised = ct_body([ct_row("202505", 842, "X", 1000.0), ct_row("202506", 842, "X", 2500.0),
                       ct_row("202506", 0, "X", 9000.0)], elapsed="0.20 secs")
    server.on(DA, Reply(body=availability(["202505", "202506"], released="2026-02-27T10:00:00", checksum=8)))
    server.on(DATA, Reply(body=revised))
    code, out, err = fetch_ct(db, cli, server)
    assert code == 0, err
    assert "3 rows read, 1 added" in out
    assert store_counts(db, "comtrade") == (2, 4, 0)
    with magwatch.open(db, read_only=True) as mw:
        revisions = mw.revisions(source="comtrade").to_pylist()
    assert len(revisions) == 1


def test_same_answer_with_new_elapsed_time_is_not_a_new_release(server, tmp_path, cli):
    db = tmp_path / "s.duckdb"
    server.on(DA, Reply(body=availability(["202505", "202506"], checksum=1)))
    server.on(DATA, Reply(body=GOOD))
    assert fetch_ct(db, cli, server)[0] == 0
    # Marker changes (so the batch is asked again) but the data is byte-identical except elapsedTime.
    server.on(DA, Reply(body=availability(["202505", "202506"], checksum=2)))
    server.on(DATA, Reply(body=GOOD.replace(b"0.09 secs", b"0.55 secs")))
    code, out, _ = fetch_ct(db, cli, server)
    assert code == 0 and "nothing added" in out
    assert store_counts(db, "comtrade") == (1, 3, 0)


def test_429_with_retry_after_then_success(server, tmp_path, cli):
    db = tmp_path / "s.duckdb"
    server.on(DA, Reply(body=availability(["202505", "202506"])))
    server.on(DATA, Reply(429, b'{"statusCode":429,"message":"Rate limit is exceeded. Try again in 2 seconds."}',
                          {"Retry-After": "2"}), Reply(body=GOOD))
    code, out, err = fetch_ct(db, cli, server)
    assert code == 0, err
    assert len(server.calls(DATA)) == 2
    assert store_counts(db, "comtrade") == (1, 3, 0)


def test_429_quota_exhausted_says_when_to_retry(server, tmp_path, cli):
    db = tmp_path / "s.duckdb"
    server.on(DA, Reply(body=availability(["202505", "202506"])))
    server.on(DATA, Reply(429, b'{"statusCode":429,"message":"Out of call volume quota."}',
                          {"Retry-After": "3600"}))
    code, out, err = fetch_ct(db, cli, server)
    assert code == 4
    assert err.count("\n") == 1 and "quota exhausted (HTTP 429); retry after 3600 s" in err
    assert len(server.calls(DATA)) == 1                   # no pointless retries
    assert store_counts(db, "comtrade") == (0, 0, 0)


def test_500_then_503_then_success(server, tmp_path, cli):
    db = tmp_path / "s.duckdb"
    server.on(DA, Reply(body=availability(["202505", "202506"])))
    server.on(DATA, Reply(500, b"oops"), Reply(503, b"busy"), Reply(body=GOOD))
    code, _, err = fetch_ct(db, cli, server)
    assert code == 0, err
    assert len(server.calls(DATA)) == 3
    assert store_counts(db, "comtrade") == (1, 3, 0)


def test_503_forever_stops_cleanly(server, tmp_path, cli):
    db = tmp_path / "s.duckdb"
    server.on(DA, Reply(body=availability(["202505", "202506"])))
    server.on(DATA, Reply(503, b"busy"))
    code, _, err = fetch_ct(db, cli, server)
    assert code == 4 and "kept failing (HTTP 503) after 3 attempts" in err
    assert store_counts(db, "comtrade") == (0, 0, 0)


def test_timeout_is_retried(server, tmp_path, cli, monkeypatch):
    monkeypatch.setenv("MAGWATCH_HTTP_TIMEOUT", "0.3")
    db = tmp_path / "s.duckdb"
    server.on(DA, Reply(body=availability(["202505", "202506"])))
    server.on(DATA, Reply(body=GOOD, delay=1.0), Reply(body=GOOD))
    code, _, err = fetch_ct(db, cli, server)
    assert code == 0, err
    assert store_counts(db, "comtrade") == (1, 3, 0)


def test_timeout_every_time_is_a_clear_error(server, tmp_path, cli, monkeypatch):
    monkeypatch.setenv("MAGWATCH_HTTP_TIMEOUT", "0.2")
    db = tmp_path / "s.duckdb"
    server.on(DA, Reply(body=availability(["202505", "202506"])))
    server.on(DATA, Reply(body=GOOD, delay=0.6))
    code, _, err = fetch_ct(db, cli, server)
    assert code == 4 and "no answer from" in err and "within 0.2 s" in err
    assert store_counts(db, "comtrade") == (0, 0, 0)


def test_connection_reset_mid_body(server, tmp_path, cli):
    db = tmp_path / "s.duckdb"
    server.on(DA, Reply(body=availability(["202505", "202506"])))
    server.on(DATA, Reply(body=GOOD, reset=True), Reply(body=GOOD))
    code, _, err = fetch_ct(db, cli, server)
    assert code == 0, err
    assert store_counts(db, "comtrade") == (1, 3, 0)
    db2 = tmp_path / "t.duckdb"
    server.on(DATA, Reply(body=GOOD, reset=True))
    code, _, err = fetch_ct(db2, cli, server)
    assert code == 4 and "connection to" in err
    assert store_counts(db2, "comtrade") == (0, 0, 0)


def test_truncated_json_stores_nothing(server, tmp_path, cli):
    db = tmp_path / "s.duckdb"
    server.on(DA, Reply(body=availability(["202505", "202506"])))
    server.on(DATA, Reply(body=GOOD[: len(GOOD) - 40]))
    code, _, err = fetch_ct(db, cli, server)
    assert code == 4 and "truncated or not JSON" in err and "nothing stored" in err
    assert store_counts(db, "comtrade") == (0, 0, 0)


def test_html_error_page(server, tmp_path, cli):
    db = tmp_path / "s.duckdb"
    server.on(DA, Reply(body=availability(["202505", "202506"])))
    server.on(DATA, Reply(body=b"<html><body><h1>Service Unavailable</h1></body></html>",
                          content_type="text/html"))
    code, _, err = fetch_ct(db, cli, server)
    assert code == 4 and "is an HTML page" in err
    assert store_counts(db, "comtrade") == (0, 0, 0)


def test_missing_key_real_401(server, tmp_path, cli):
    db = tmp_path / "s.duckdb"
    body = (SAMPLES / "error_401_missing_key.body.json").read_bytes()
    server.on(DA, Reply(401, body, {"WWW-Authenticate": 'AzureApiManagementKey name="Ocp-Apim-Subscription-Key"'}))
    code, _, err = fetch_ct(db, cli, server)
    assert code == 4
    assert "access denied (HTTP 401) without a key: set COMTRADE_API_KEY" in err
    assert "missing subscription key" in err


def test_rejected_key_is_sent_as_header_and_named(server, tmp_path, cli, monkeypatch):
    monkeypatch.setenv("COMTRADE_API_KEY", "not-a-real-key")
    db = tmp_path / "s.duckdb"
    server.on("/data/v1/getDa/C/M/HS", Reply(401, b'{"statusCode":401,"message":"Access denied due to invalid subscription key."}'))
    code, _, err = fetch_ct(db, cli, server)
    assert code == 4 and "the key in COMTRADE_API_KEY was rejected" in err
    assert "not-a-real-key" not in err


def test_result_exactly_at_row_cap_is_split(server, tmp_path, cli):
    db = tmp_path / "s.duckdb"
    server.on(DA, Reply(body=availability(["202505", "202506"])))
    at_cap = ct_body([ct_row("202505", 842, "X", 1.0)] * 500)          # count == maxRecords (500)
    may = ct_body([ct_row("202505", 842, "X", 1000.0)])
    june = ct_body([ct_row("202506", 842, "X", 2000.0), ct_row("202506", 0, "X", 9000.0)])
    server.on(DATA, Reply(body=at_cap), Reply(body=may), Reply(body=june))
    code, out, err = fetch_ct(db, cli, server)
    assert code == 0, err
    periods = [q["period"] for q in server.calls(DATA)]
    assert periods == [["202505,202506"], ["202505"], ["202506"]]
    assert store_counts(db, "comtrade") == (2, 3, 0)                   # the capped answer is never stored


def test_unreleased_and_empty_are_explained(server, tmp_path, cli):
    db = tmp_path / "s.duckdb"
    server.on(DA, Reply(body=availability([])))
    code, out, err = fetch_ct(db, cli, server)
    assert code == 5 and "not released" in err and "202505, 202506" in err
    assert server.calls(DATA) == []
    server.on(DA, Reply(body=availability(["202505", "202506"])))
    server.on(DATA, Reply(body=(SAMPLES / "bulk_v1_get_empty_result.json").read_bytes()))
    code, out, err = fetch_ct(db, cli, server)
    assert code == 5 and "released (lastReleased" in err and "check --commodity and --partner" in err
    assert store_counts(db, "comtrade") == (0, 0, 0)


def test_interrupted_fetch_resumes(server, tmp_path, cli):
    db = tmp_path / "s.duckdb"
    server.on(DA, Reply(body=availability(["202412", "202501"])))
    server.on(DATA, Reply(body=ct_body([ct_row("202412", 842, "X", 5.0)])), Reply(503, b"down"))
    args = ("fetch", "comtrade", "--reporter", "CHN", "--flow", "X", "--from", "2024-12",
            "--to", "2025-01", "--base-url", server.url)
    code, _, err = cli(db, *args)
    assert code == 4                                      # second year's batch failed
    assert store_counts(db, "comtrade") == (1, 1, 0)       # the first landed whole
    server.on(DATA, Reply(body=ct_body([ct_row("202501", 842, "X", 6.0)])))
    code, out, err = cli(db, *args)
    assert code == 0, err
    assert [q["period"] for q in server.calls(DATA)][-1] == ["202501"]   # 2024 not asked again
    assert store_counts(db, "comtrade") == (2, 2, 0)


# -- Census -------------------------------------------------------------------------------

CENSUS_M = "/data/timeseries/intltrade/imports/hs"


def fetch_census(db, cli, server, *extra):
    return cli(db, "fetch", "census", "--commodity", "850511", "--flow", "M", "--partner", "CHN",
               "--from", "2024-01", "--to", "2024-02", "--base-url", server.url, *extra)


def census_body() -> bytes:
    return json.dumps([
        ["CTY_CODE", "CTY_NAME", "GEN_VAL_MO", "GEN_QY1_MO", "UNIT_QY1", "LAST_UPDATE",
         "I_COMMODITY", "COMM_LVL", "SUMMARY_LVL", "CTY_CODE", "time"],
        ["5700", "CHINA", "1000", "10", "KG", "2024-04-04", "850511", "HS6", "DET", "5700", "2024-01"],
        ["5700", "CHINA", "2000", "20", "KG", "2024-04-04", "850511", "HS6", "DET", "5700", "2024-02"],
    ]).encode()


def test_census_completes_and_204_is_explained(server, tmp_path, cli, monkeypatch):
    monkeypatch.setenv("CENSUS_API_KEY", "k" * 40)
    db = tmp_path / "s.duckdb"
    server.on(CENSUS_M, Reply(body=census_body()))
    code, out, err = fetch_census(db, cli, server)
    assert code == 0, err
    q = server.calls(CENSUS_M)[0]
    assert q["SUMMARY_LVL"] == ["DET"] and q["COMM_LVL"] == ["HS6"] and q["time"] == ["from 2024-01 to 2024-02"]
    assert q["key"] == ["k" * 40]
    with magwatch.open(db, read_only=True) as mw:
        rows = mw.flows(reporter="USA", partner="CHN", source="census").to_pylist()
        assert "key=" not in rows[0]["source_url"]           # the key never reaches provenance
    assert [r["net_weight_t"] for r in rows] == [0.01, 0.02]
    db2 = tmp_path / "t.duckdb"
    server.on(CENSUS_M, Reply(204, b""))
    code, out, err = fetch_census(db2, cli, server)
    assert code == 5 and "HTTP 204" in err and "check --commodity" in err
    assert store_counts(db2, "census") == (0, 0, 0)


def test_census_invalid_key_html_page(server, tmp_path, cli, monkeypatch):
    monkeypatch.setenv("CENSUS_API_KEY", "bad")
    db = tmp_path / "s.duckdb"
    server.on(CENSUS_M, Reply(body=b"<html><head><title>Invalid Key</title></head><body>Invalid Key</body></html>",
                              content_type="text/html"))
    code, _, err = fetch_census(db, cli, server)
    assert code == 4 and "CENSUS_API_KEY was rejected" in err
    assert store_counts(db, "census") == (0, 0, 0)


# -- Comext -------------------------------------------------------------------------------

COMEXT = "/statistics/1.0/data/DS-045409"


def comext_body(months: list[str]) -> bytes:
    dims = {"freq": ["M"], "reporter": ["EU27_2020"], "partner": ["CN"], "product": ["85051110"],
            "flow": ["1"], "indicators": ["QUANTITY_IN_100KG", "VALUE_IN_EUROS"], "time": months}
    n = len(months)
    values = {str(i * n + t): (10.0 + int(m[-2:]) if i == 0 else 1000.0 + int(m[-2:]))
              for i in range(2) for t, m in enumerate(months)}
    return json.dumps({"version": "2.0", "class": "dataset", "updated": "2026-02-13T11:00:00+0100",
                       "id": list(dims), "size": [len(v) for v in dims.values()],
                       "dimension": {d: {"category": {"index": {c: i for i, c in enumerate(v)}}}
                                     for d, v in dims.items()}, "value": values}).encode()


def test_comext_413_splits_and_404_is_empty(server, tmp_path, cli):
    db = tmp_path / "s.duckdb"
    server.on(COMEXT, Reply(413, b'{"error":{"status":413,"label":"EXTRACTION_TOO_BIG"}}'),
              Reply(body=comext_body(["2025-01"])), Reply(body=comext_body(["2025-02"])))
    code, out, err = cli(db, "fetch", "comext", "--from", "2025-01", "--to", "2025-02",
                         "--base-url", server.url)
    assert code == 0, err
    assert [q["time"] for q in server.calls(COMEXT)] == [["2025-01", "2025-02"], ["2025-01"], ["2025-02"]]
    assert store_counts(db, "comext") == (2, 2, 0)
    with magwatch.open(db, read_only=True) as mw:
        rows = mw.flows(reporter="EUU", partner="CHN", source="comext").to_pylist()
    assert [r["net_weight_t"] for r in rows] == [1.1, 1.2] and rows[0]["value_usd"] is None
    assert rows[0]["value"] == 1001.0 and rows[0]["currency"] == "EUR"
    db2 = tmp_path / "t.duckdb"
    server.on(COMEXT, Reply(404, b'{"error":{"status":404,"label":"NO_DATA"}}'))
    code, _, err = cli(db2, "fetch", "comext", "--from", "2019-01", "--to", "2019-02",
                       "--base-url", server.url)
    assert code == 5 and "check --reporter" in err


# -- refresh, sources, import -----------------------------------------------------------------

def test_refresh_repeats_configured_queries_quietly(server, tmp_path, cli):
    from magwatch.sources import run

    db = tmp_path / "s.duckdb"
    code, out, err = cli(db, "refresh")
    assert code == 5 and "no source is configured" in err
    server.on(DA, Reply(body=availability(["202505", "202506"])))
    server.on(DATA, Reply(body=GOOD))
    assert fetch_ct(db, cli, server)[0] == 0
    seen = []
    run.POST_INGEST.append(lambda store, reports: seen.append(sum(r.rows_added for r in reports)))
    try:
        code, out, err = cli(db, "refresh", "--quiet")
        assert code == 0 and out == "" and seen == []      # nothing changed: silent, no hooks
        server.on(DA, Reply(body=availability(["202505", "202506"], released="2026-03-01T00:00:00")))
        server.on(DATA, Reply(body=ct_body([ct_row("202506", 842, "X", 2100.0)])))
        code, out, err = cli(db, "refresh", "--quiet")
        assert code == 0 and "1 added" in out and seen == [1]
    finally:
        run.POST_INGEST.clear()
    code, out, _ = cli(db, "sources", "--format", "json")
    status = {r["source"]: r for r in json.loads(out)}
    assert status["comtrade"]["configured_queries"] == 1 and status["comtrade"]["last_release"] == 2
    assert status["gacc"]["kind"] == "file"


def test_import_source_gacc_through_cli(tmp_path, cli):
    db = tmp_path / "s.duckdb"
    path = tmp_path / "gacc_202506.csv"
    header = "数据年月,商品编码,商品名称,贸易伙伴编码,贸易伙伴名称,第一数量,第一计量单位,第二数量,第二计量单位,美元,"
    path.write_bytes((header + "\r\n" + '202506,85051110,稀土永磁铁,502,美国,"353,000",千克,,,"1,000",\r\n')
                     .encode("gb18030"))
    code, out, err = cli(db, "import", "--source", "gacc", str(path), "--vintage", "2025-07-20")
    assert code == 0, err and "1 rows read, 1 added" in out
    code, out, err = cli(db, "import", "--source", "gacc", str(path), "--vintage", "2025-07-20")
    assert code == 0 and "already ingested" in out
    assert store_counts(db, "gacc") == (1, 1, 0)
    bad = tmp_path / "bad.csv"
    bad.write_bytes((header + "\r\n" + '202506,85051110,x,777,?,"1",千克,,,"1",\r\n').encode("gb18030"))
    code, out, err = cli(db, "import", "--source", "gacc", str(bad))
    assert code == 2 and "bad.csv, row 1, field '贸易伙伴编码': unknown gacc country code '777'" in err
    assert store_counts(db, "gacc") == (1, 1, 0)


def test_refresh_evaluates_alerts_and_rewrites_the_brief_only_when_figures_land(server, tmp_path, cli):
    db = tmp_path / "s.duckdb"
    assert cli(db, "load")[0] == 0
    server.on(DA, Reply(body=availability(["202505", "202506"])))
    server.on(DATA, Reply(body=GOOD))
    assert fetch_ct(db, cli, server)[0] == 0
    alerts, briefs = tmp_path / "alerts.jsonl", tmp_path / "brief"
    options = ("--alerts", str(Path(magwatch.report.__file__).parent / "alerts.toml"),
               "--alerts-to", f"jsonl:{alerts}", "--brief-dir", str(briefs))
    code, out, err = cli(db, "refresh", "--quiet", *options)
    assert code == 0 and not alerts.exists() and not briefs.exists()   # nothing landed
    server.on(DA, Reply(body=availability(["202505", "202506"], released="2026-03-01T00:00:00")))
    server.on(DATA, Reply(body=ct_body([ct_row("202506", 842, "X", 2100.0)])))
    code, out, err = cli(db, "refresh", "--quiet", *options)
    assert code == 0 and "1 added" in out, err
    assert alerts.exists() and "appended" in err
    assert sorted(p.name for p in briefs.glob("brief-*.md")) == ["brief-2026-03.md"]
