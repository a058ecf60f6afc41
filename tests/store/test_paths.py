"""File paths are paths: no glob, no URL, no special file, and names printed with their
control characters escaped. Each refusal is one line and leaves the store unchanged.

The files here hold test figures, not real trade data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import magwatch
from magwatch.errors import InputError, printable

HEADER = "reporter,partner,flow,commodity,period,net_weight_t"
ROW = "CHN,DEU,X,85051110,2025-06,5"
CAP_MB = 2048           # address-space cap for the child process (as tests/store/test_limits.py)


def rows_file(path: Path, commodities: list[str]) -> Path:
    n = len(commodities)
    pq.write_table(pa.table({"reporter": ["CHN"] * n, "partner": ["DEU"] * n, "flow": ["X"] * n,
                             "commodity": commodities, "period": ["2025-06"] * n,
                             "net_weight_kg": [1.0] * n}), path)
    return path


def added(mw: magwatch.Magwatch, path: Path) -> int:
    return mw.import_file(path, vintage="2025-07-20").rows_added


# -- no glob ---------------------------------------------------------------------------------

def test_a_parquet_name_with_brackets_is_that_file_only(mw, tmp_path):
    rows_file(tmp_path / "a.parquet", ["85051110", "85051120"])
    rows_file(tmp_path / "b.parquet", ["85051130", "85051140"])
    rows_file(tmp_path / "[ab].parquet", ["85051150", "85051160"])
    assert added(mw, tmp_path / "[ab].parquet") == 2           # not 4 rows of a and b


@pytest.mark.parametrize("name", ["x*.parquet", "x?.parquet", "**.parquet", "x[!b].parquet",
                                  "it's.parquet", "a]b.parquet", "a\\b.parquet"])
def test_star_and_question_mark_in_a_parquet_name_are_literal(mw, tmp_path, name):
    rows_file(tmp_path / "xa.parquet", ["85051110", "85051120", "85051130"])
    rows_file(tmp_path / name, ["85051150"])
    assert added(mw, tmp_path / name) == 1


def test_a_backslash_and_a_glob_character_in_a_parquet_name_are_refused(mw, tmp_path, store_snapshot):
    rows_file(tmp_path / "xa.parquet", ["85051110"])
    path = rows_file(tmp_path / "x\\*.parquet", ["85051150"])
    before = store_snapshot(mw)
    with pytest.raises(InputError) as info:
        mw.import_file(path, vintage="2025-07-20")
    assert str(info.value) == (f"{path}: this file name cannot be given to the Parquet reader as "
                               "a name (it holds a backslash and one of * ? [); rename the file")
    assert store_snapshot(mw) == before


def test_a_csv_name_with_brackets_is_that_file_only(mw, tmp_path):
    (tmp_path / "a.csv").write_text(HEADER + "\n" + ROW + "\n")
    (tmp_path / "[ab].csv").write_text(HEADER + "\n" + ROW.replace("85051110", "85051120") + "\n")
    assert added(mw, tmp_path / "[ab].csv") == 1


def test_a_tilde_folder_is_a_folder_not_home(mw, tmp_path, monkeypatch):
    (tmp_path / "~").mkdir()
    rows_file(tmp_path / "~" / "t.parquet", ["85051110"])
    (tmp_path / "~" / "t.csv").write_text(HEADER + "\n" + ROW.replace("85051110", "85051120") + "\n")
    monkeypatch.chdir(tmp_path)
    assert added(mw, Path("~/t.parquet")) == 1
    assert added(mw, Path("~/t.csv")) == 1


# -- no URL ----------------------------------------------------------------------------------

@pytest.fixture
def server():
    """A 127.0.0.1 server that records every request it gets."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            seen.append(self.path)
            self.send_response(404)
            self.end_headers()

        do_HEAD = do_GET

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("scheme, name", [("http", "a.parquet"), ("https", "a.csv"),
                                          ("s3", "a.parquet"), ("file", "a.csv")])
def test_a_url_is_refused_not_fetched(mw, server, scheme, name, store_snapshot):
    host, seen = server
    url = f"{scheme}://{host}/{name}"
    before = store_snapshot(mw)
    with pytest.raises(InputError) as info:
        mw.import_file(url, vintage="2025-07-20")
    message = str(info.value)
    assert "\n" not in message and "a URL, not a file" in message and "local files only" in message
    assert seen == [] and store_snapshot(mw) == before


def test_the_cli_refuses_a_url_in_one_line(db_copy, server):
    host, seen = server
    done = run_cli("--db", str(db_copy), "import", f"http://{host}/x.parquet")
    assert done.returncode == 2 and seen == []
    assert done.stderr.strip().splitlines() == [
        f"error: http:/{host}/x.parquet: a URL, not a file: magwatch imports local files only "
        "(download it first)"]


# -- no special files --------------------------------------------------------------------------

CHILD = """
import resource, sys
cap = int(sys.argv[1]) << 20
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
sys.argv = ["magwatch", *sys.argv[2:]]
from magwatch.cli import main
main()
"""


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """The command line in a child under an address-space cap; a reader that blocked on a
    FIFO or read a device for ever would end at the timeout (failing the test). DuckDB's
    memory limit is set below the cap, as a capped deployment sets it (its default, 80% of
    the machine's memory, let an allocation inside DuckDB meet the cap: a MemoryError seen
    once in a full run)."""
    env = {**os.environ, "MAGWATCH_MEMORY_LIMIT": "512MB"}
    return subprocess.run([sys.executable, "-c", CHILD, str(CAP_MB), *args], capture_output=True,
                          text=True, timeout=120, env=env)


@pytest.fixture
def db_copy(bundled_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store.duckdb"
    shutil.copy(bundled_db, copy)
    return copy


def special(tmp_path: Path, kind: str) -> Path:
    if kind == "fifo":
        path = tmp_path / "pipe.csv"
        os.mkfifo(path)
    elif kind == "device":
        path = tmp_path / "zero.csv"
        path.symlink_to("/dev/zero")           # endless bytes behind a .csv name
    else:
        path = tmp_path / "null.parquet"
        path.symlink_to("/dev/null")
    return path


@pytest.mark.parametrize("kind", ["fifo", "device", "null"])
def test_a_fifo_or_device_is_refused_without_being_opened(db_copy, tmp_path, kind, store_snapshot):
    path = special(tmp_path, kind)
    before = store_snapshot(db_copy)
    done = run_cli("--db", str(db_copy), "import", str(path))
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: {path}: not a regular file (a FIFO, device or socket); import a regular file"]
    assert store_snapshot(db_copy) == before


def test_a_directory_where_a_file_is_expected_is_refused(mw, tmp_path, store_snapshot):
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    before = store_snapshot(mw)
    with pytest.raises(InputError, match="a directory, not a file"):
        mw.store.ingest_file(folder)
    assert store_snapshot(mw) == before


def test_a_missing_file_is_one_line(mw, tmp_path):
    refused_missing = tmp_path / "gone\nsecond line.csv"
    with pytest.raises(InputError) as info:
        mw.import_file(refused_missing)
    assert str(info.value) == f"{tmp_path}/gone\\nsecond line.csv: no such file"


# -- names printed with their control characters escaped ---------------------------------------

NASTY = {"newline": "bad\nname.csv", "ansi escape": "\x1b[31mred\x1b[0m.csv",
         "carriage return": "over\rwrite.csv", "bell": "ring\x07.csv",
         "right-to-left override": "txt\u202ecsv.csv"}


@pytest.mark.parametrize("kind", NASTY)
def test_a_bad_file_with_a_nasty_name_is_one_printable_line(mw, tmp_path, kind, store_snapshot):
    path = tmp_path / NASTY[kind]
    path.write_text(HEADER + "\nCHN,XYZ,X,85051110,2025-06,5\n")
    before = store_snapshot(mw)
    with pytest.raises(InputError) as info:
        mw.import_file(path, vintage="2025-07-20")
    message = str(info.value)
    assert message == printable(str(path)) + (", row 1, field 'partner': unknown country code or "
                                              "name (use ISO 3166 alpha-3, WLD, EUU, ... or a "
                                              "country name such as Germany) (got 'XYZ') "
                                              "(line 2)")
    assert message.isprintable() and "\x1b" not in message
    assert store_snapshot(mw) == before


def test_the_cli_prints_a_newline_name_on_one_line(db_copy, tmp_path):
    path = tmp_path / "two\nlines\x1b[2J.csv"
    path.write_text(HEADER + "\nCHN,DEU,X,85051110,2025-13,5\n")
    done = run_cli("--db", str(db_copy), "import", str(path))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "\x1b" not in done.stderr, done.stderr
    assert lines[0].startswith(f"error: {tmp_path}/two\\nlines\\x1b[2J.csv, row 1, field 'period'")


def test_printable_keeps_ordinary_names_as_they_are():
    for name in ("data.csv", "中国 出口.csv", "Zölle (2025).parquet", "a\\b.csv"):
        assert printable(name) == name
    assert printable("a\tb\x00c\x9bd\u2028e") == "a\\tb\\x00c\\x9bd\\u2028e"


@pytest.mark.parametrize("kind", ["fifo", "url", "empty"])
def test_a_file_source_takes_a_regular_local_file_only(mw, tmp_path, kind, store_snapshot):
    """``import --source gacc|comext|comtrade FILE`` passes the same path checks as any import."""
    path = tmp_path / "export.csv"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "empty":
        path.write_bytes(b"")
    else:
        path = Path("http://127.0.0.1:9/export.csv")
    before = store_snapshot(mw)
    with pytest.raises(InputError) as info:
        mw.import_file(path, source="gacc")
    assert "\n" not in str(info.value) and store_snapshot(mw) == before
    words = {"fifo": "not a regular file", "url": "a URL, not a file", "empty": "file is empty"}[kind]
    assert words in str(info.value)
