"""The bad-input corpus: each malformed file is refused with one clear line; the store is unchanged.

``corpus/expected.csv`` names, for every file, the error class and words the message must
contain. CSV, Excel and Parquet files go through ``import_file``; China customs exports
through ``magwatch import --source gacc``; JSON API answers are served on 127.0.0.1 to
``fetch`` (the connector's checks and normalise function); scenario files to
``Magwatch.scenario``; event files to ``Magwatch.import_events``; alert rules to
``Magwatch.alerts``. ``corpus/make_corpus.py`` wrote the files.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import stamina

import magwatch
from magwatch import errors

CORPUS = Path(__file__).resolve().parent / "corpus"
EXPECTED = {row["file"]: row for row in csv.DictReader((CORPUS / "expected.csv").open(encoding="utf-8"))}
AVAILABILITY = ('{"elapsedTime":"0.01 secs","count":1,"error":"","data":[{"datasetCode":"1",'
                '"typeCode":"C","freqCode":"M","period":"202506","reporterCode":156,"reporterISO":"CHN",'
                '"classificationCode":"H6","totalRecords":1,"datasetChecksum":1,'
                '"firstReleased":"2026-01-30T10:00:00","lastReleased":"2026-01-30T10:00:00"}]}').encode()
QUERIES = {
    "comtrade": dict(reporter="CHN", commodity="850511", flow="X", start="2025-06", end="2025-06"),
    "census": dict(reporter="USA", partner="CHN", commodity="850511", flow="M", start="2025-06",
                   end="2025-06"),
    "comext": dict(reporter="EUU", partner="CHN", commodity="85051110", flow="M", start="2025-06",
                   end="2025-06"),
}


# Fetch bookkeeping, not data: a fetch remembers the query it was asked (source_query) so that
# 'magwatch refresh' can repeat it, also when the answer was refused.
BOOKKEEPING = ("source_query", "source_fetch")


def snapshot(mw: magwatch.Magwatch) -> str:
    """A hash of every data table in the store (everything but the fetch bookkeeping)."""
    con = mw.store.con
    tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary "
                                        "ORDER BY table_name").fetchall() if r[0] not in BOOKKEEPING]
    digest = hashlib.sha256()
    for table in tables:
        digest.update(table.encode())
        digest.update(repr(con.execute(f'SELECT * FROM "{table}" ORDER BY ALL').fetchall()).encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def replay():
    """127.0.0.1 server: Comtrade availability fixed, every other path answers the current body."""
    state = {"body": b""}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            path = urllib.parse.urlsplit(self.path).path
            body = AVAILABILITY if path.startswith("/public/v1/getDa") else state["body"]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def quiet_sources(monkeypatch, tmp_path):
    stamina.set_testing(True, attempts=1)
    for name in ("COMTRADE_API_KEY", "CENSUS_API_KEY", "MAGWATCH_COMTRADE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for source in ("COMTRADE", "CENSUS", "COMEXT"):
        monkeypatch.setenv(f"MAGWATCH_{source}_CALLS_PER_MINUTE", "60000")
    monkeypatch.setenv("MAGWATCH_HTTP_ATTEMPTS", "1")
    monkeypatch.setenv("MAGWATCH_CACHE_DIR", str(tmp_path / "cache"))
    yield
    stamina.set_testing(False)


def feed(mw: magwatch.Magwatch, path: Path, replay: dict) -> object:
    """Give one corpus file to the part of magwatch that reads its kind."""
    kind = path.name.split("_", 1)[0]
    if kind in ("csv", "xlsx", "parquet"):
        return mw.import_file(path, vintage="2025-07-20")
    if kind == "gacc":
        return mw.import_file(path, source="gacc", vintage="2025-07-20")
    if kind in QUERIES:
        replay["body"] = path.read_bytes()
        return mw.fetch(kind, base_url=replay["url"], **QUERIES[kind])
    if kind == "scenario":
        return mw.scenario(path, paths=50)
    if kind == "events":
        return mw.import_events(path)
    if kind == "alerts":
        return mw.alerts(path, month="2025-06")
    raise AssertionError(f"no reader for corpus file {path.name}")


def test_corpus_is_large_and_every_file_has_an_expectation():
    files = sorted(p.name for p in CORPUS.iterdir() if p.name not in ("expected.csv", "make_corpus.py"))
    assert len(files) >= 40
    assert sorted(EXPECTED) == files


# Real defects found by this corpus in modules owned elsewhere (kept failing until fixed there).
#: Inputs that once escaped as bugs; kept empty when none is known (a strict xfail
#: would turn red the moment such a bug is fixed).
KNOWN_BUGS: dict[str, str] = {}


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[n])) if n in KNOWN_BUGS
    else n for n in sorted(EXPECTED)])
def test_bad_input_is_refused_with_one_clear_line(mw, replay, quiet_sources, name):
    expected = EXPECTED[name]
    before = snapshot(mw)
    with pytest.raises(errors.MagwatchError) as info:
        feed(mw, CORPUS / name, replay)
    message = str(info.value)
    assert type(info.value).__name__ == expected["error"], message
    assert "\n" not in message and "\r" not in message
    assert len(message) <= 600, f"{len(message)} characters"
    for word in expected["words"].split("|"):
        assert word in message, message
    assert snapshot(mw) == before


@pytest.mark.parametrize("name", ["gacc_unknown_partner.csv", "csv_script_partner.csv"])
def test_cli_import_prints_one_line_and_exits_non_zero(bundled_db, tmp_path, name):
    db = tmp_path / "s.duckdb"
    shutil.copy(bundled_db, db)
    args = ["import", str(CORPUS / name)] + (["--source", "gacc"] if name.startswith("gacc") else [])
    done = subprocess.run([sys.executable, "-m", "magwatch", "--db", str(db), *args],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ")
    assert EXPECTED[name]["words"].split("|")[0] in done.stderr
