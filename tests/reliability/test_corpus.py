"""The bad-input corpus: each malformed file is refused with one clear line; the store is unchanged.

``corpus/expected.csv`` names, for every entry, the error class and words the message must
contain (the file, and the row and field where they apply). CSV, Excel and Parquet files go
through ``import_file``; China customs exports through ``import_file(source='gacc')``;
an entry ``export_*`` is a folder laid out like ``magwatch export parquet`` writes one,
kept in the tree as a folder (no archive to unpack) and imported as ``import_file(FOLDER)``
(``magwatch import FOLDER``); JSON API answers are served on 127.0.0.1 to ``fetch`` (the
connector's checks and normalise function); scenario files to ``Magwatch.scenario``; event
files to ``Magwatch.import_events``; alert rules to ``Magwatch.alerts``. Every file and
folder that ``magwatch import`` reads is also imported through the CLI (in this process):
exit code 2, one ``error:`` line, no traceback. ``corpus/make_corpus.py`` wrote the corpus,
and writes the same bytes again (checked here).
"""

from __future__ import annotations

import csv
import importlib.util
import shutil
import subprocess
import sys
import threading
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
    if kind == "export":
        return mw.import_file(path)
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


NOT_ENTRIES = ("expected.csv", "make_corpus.py", "__pycache__")
IMPORTED = ("csv", "xlsx", "parquet", "gacc", "export")


def test_corpus_is_large_and_every_file_has_an_expectation():
    files = sorted(p.name for p in CORPUS.iterdir() if p.name not in NOT_ENTRIES)
    assert len(files) >= 180
    assert sorted(EXPECTED) == files
    folders = [p for p in CORPUS.iterdir() if p.is_dir() and p.name not in NOT_ENTRIES]
    assert len(folders) >= 30 and all(p.name.startswith("export_") for p in folders)


def _make_corpus():
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name not in NOT_ENTRIES and "__pycache__" not in p.parts}


def test_make_corpus_writes_exactly_the_corpus_kept_in_the_tree(tmp_path, monkeypatch):
    make = _make_corpus()
    monkeypatch.setattr(make, "HERE", tmp_path)
    make.main()
    assert _tree(tmp_path) == _tree(CORPUS)


def test_the_valid_export_folder_behind_the_export_cases_imports(mw, tmp_path, monkeypatch):
    """Each export_* entry is this folder with one fault: without it the folder is stored."""
    make = _make_corpus()
    monkeypatch.setattr(make, "HERE", tmp_path)
    done = mw.import_file(make.export("export_valid", claims=[make.claim()]))
    assert (done.rows_read, done.rows_added, done.claims_added, len(done.releases)) == (2, 2, 1, 1)
    assert mw.store.con.execute("SELECT partner, net_weight_kg FROM observation_latest WHERE "
                                "source_sha256 = ? ORDER BY ALL", [make.SHA]).fetchall() == [
        ("DEU", 353000.0), ("USA", 353000.0)]


# Real defects found by this corpus in modules owned elsewhere (kept failing until fixed there).
#: Inputs that once escaped as bugs; kept empty when none is known (a strict xfail
#: would turn red the moment such a bug is fixed).
KNOWN_BUGS: dict[str, str] = {}


def _known(names) -> list:
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[n]))
            if n in KNOWN_BUGS else n for n in names]


@pytest.fixture(scope="module")
def shared_store(bundled_db, tmp_path_factory):
    """One store for the Python cases of this module: a refusal changes nothing, so the next
    case can use it as it is (``corpus_mw`` puts it back when a case did change it)."""
    db = tmp_path_factory.mktemp("api") / "corpus.duckdb"
    shutil.copy(bundled_db, db)
    state = {"db": db, "bundled": bundled_db, "mw": magwatch.open(db)}
    yield state
    state["mw"].close()


@pytest.fixture
def corpus_mw(shared_store, store_snapshot):
    """``(mw, hash)``: the shared store and its hash before the case."""
    mw = shared_store["mw"]
    before = store_snapshot(mw)
    yield mw, before
    if store_snapshot(mw) != before:                  # a failing case: start the next afresh
        mw.close()
        shutil.copy(shared_store["bundled"], shared_store["db"])
        shared_store["mw"] = magwatch.open(shared_store["db"])


@pytest.mark.parametrize("name", _known(sorted(EXPECTED)))
def test_bad_input_is_refused_with_one_clear_line(corpus_mw, replay, quiet_sources, store_snapshot,
                                                   name):
    expected = EXPECTED[name]
    mw, before = corpus_mw
    with pytest.raises(errors.MagwatchError) as info:
        feed(mw, CORPUS / name, replay)
    message = str(info.value)
    assert type(info.value).__name__ == expected["error"], message
    assert "\n" not in message and "\r" not in message
    assert len(message) <= 600, f"{len(message)} characters"
    for word in expected["words"].split("|"):
        assert word in message, message
    assert store_snapshot(mw) == before


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


@pytest.fixture(scope="module")
def cli_store(bundled_db, tmp_path_factory, store_snapshot):
    """One store for every CLI case of this module (no case may change it), with its hash."""
    db = tmp_path_factory.mktemp("cli") / "corpus.duckdb"
    shutil.copy(bundled_db, db)
    return {"db": db, "hash": store_snapshot(db), "bundled": bundled_db}


def _cli_cases() -> list:
    """Every file ``magwatch import`` reads. The Python cases above check each file's error;
    what the command adds (one ``error:`` line, exit 2, no traceback) is the same for all, so
    make test runs every third file of each kind here and ``make test-slow`` all of them."""
    cases, seen = [], {}
    for name in sorted(n for n in EXPECTED if n.split("_", 1)[0] in IMPORTED):
        kind = name.split("_", 1)[0]
        seen[kind] = seen.get(kind, -1) + 1
        marks = [] if seen[kind] % 3 == 0 else [pytest.mark.slow]
        if name in KNOWN_BUGS:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name]))
        cases.append(pytest.param(name, marks=marks))
    return cases


@pytest.mark.parametrize("name", _cli_cases())
def test_cli_import_refuses_with_one_line_and_exit_2(cli, cli_store, store_snapshot, name):
    kind = name.split("_", 1)[0]
    args = ["import", str(CORPUS / name)]
    if kind != "export":
        args += ["--vintage", "2025-07-20"] + (["--source", "gacc"] if kind == "gacc" else [])
    code, out, err = cli(cli_store["db"], *args)
    changed = store_snapshot(cli_store["db"]) != cli_store["hash"]
    if changed:                                   # the next cases start from the whole store
        shutil.copy(cli_store["bundled"], cli_store["db"])
    assert "Traceback" not in out + err, err
    assert code == 2, (code, out, err)
    assert err.count("\n") == 1 and err.startswith("error: "), err
    for word in EXPECTED[name]["words"].split("|"):
        assert word in err, (word, err)
    assert not changed, "the store changed"



@pytest.mark.parametrize("source", ["", " ", "a\nb", "us'er", 'us"er', "\x1b[31mred", "\x9b31m",
                                    "a\u202eb", "gacc ", " user", "GACC", "Comtrade"])
def test_cli_source_names_that_could_mislead_are_refused(cli, cli_store, store_snapshot, tmp_path,
                                                         source):
    """--source '' and names with a newline, a quote, an escape code, a direction override,
    a space at either end, or an official source's name in other capitals; the file is valid."""
    good = tmp_path / "good.csv"
    good.write_text("reporter,partner,flow,commodity,period,net_weight_t\n"
                    "CHN,USA,X,85051110,2025-06,353\n")
    code, out, err = cli(cli_store["db"], "import", str(good), "--source", source,
                         "--vintage", "2025-07-20")
    changed = store_snapshot(cli_store["db"]) != cli_store["hash"]
    if changed:
        shutil.copy(cli_store["bundled"], cli_store["db"])
    assert "Traceback" not in out + err, err
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: "), (code, out, err)
    assert "source name" in err and "good.csv" in err, err
    assert not changed, "the store changed"
