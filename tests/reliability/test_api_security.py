"""API security: tokens on write endpoints, hostile query parameters, escaped data, safe exports, upload limits.

Every GET endpoint of the API and the dashboard is listed from the routers themselves, so a new
route or parameter is swept without editing this file. Hostile values are sent straight to the
ASGI app (httpx refuses to build a URL longer than 64 kB) and, for the request line, to uvicorn on
127.0.0.1. The store file's SHA-256 is checked after every hostile request: nothing may change it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import hashlib
import io
import shutil
import socket
import subprocess
import sys
import warnings
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

import magwatch

with warnings.catch_warnings():              # starlette's note about httpx2 is not ours to fix
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

from magwatch.web import api, pages  # noqa: E402
from magwatch.web.app import create_app  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TOKEN = "s3cret-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PROBLEM = "application/problem+json"
MAGWATCH = Path(sys.executable).with_name("magwatch")

HOSTILE = {
    "sql-or": "' OR 1=1 --",
    "sql-drop": "; DROP TABLE observation",
    "traversal": "../../etc/passwd",
    "oversized": "A" * 100_000,
}
#: Parameters a request needs besides the one under test, so that the hostile value is what is judged.
NEEDED = {
    "/api/v1/provenance": {"partner": "USA", "period": "2025-06"},
    "/api/v1/event-study": {"event": "ev-2025-04-04"},
    "/api/v1/explain": {"month": "2025-06"},
    "/api/v1/mirror": {"partner": "USA"},
    "/events/study": {"event": "ev-2025-04-04"},
}
#: Text filters known to take any string and answer 200 instead of a 4xx naming the parameter
#: (each marked as a strict xfail below so a fix shows up).
ACCEPTS_ANY_TEXT: set[tuple[str, str]] = set()   # none known

XSS_SUMMARY = ('Planted <script>window.__pwned=1;alert("xss")</script> '
               '<img src=x onerror="window.__pwned=1;alert(2)"> end')
XSS_ACTOR = '<img src=x onerror="window.__pwned=1">Actor</b>'
RAW_MARKERS = ("<script>window.__pwned", "<img src=x onerror", "<img src=x")
ESCAPED_SUMMARY = ("Planted &lt;script&gt;window.__pwned=1;alert(&#34;xss&#34;)&lt;/script&gt; "
                   "&lt;img src=x onerror=&#34;window.__pwned=1;alert(2)&#34;&gt; end")
REFLECTED = '"><script>window.__pwned=1</script><img src=x onerror=alert(1)>'
FORMULAS = ["=HYPERLINK(\"https://example.org\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3*cmd",
            "@SUM(A1:A9)"]


# -- helpers ------------------------------------------------------------------------------------

def _query_parameters(dependant) -> tuple[list[str], list[str]]:
    query = [f.alias for f in dependant.query_params]
    path = [f.alias for f in dependant.path_params]
    for sub in dependant.dependencies:
        q, p = _query_parameters(sub)
        query += q
        path += p
    return query, path


def get_routes() -> list[tuple[str, list[str], list[str]]]:
    """Every GET route of the API and the dashboard with its query and path parameters."""
    out = []
    for route in api.router.routes + pages.router.routes:
        if "GET" in getattr(route, "methods", ()):
            query, path = _query_parameters(route.dependant)
            out.append((route.path, query, path))
    return out


ROUTES = get_routes()
PARAMETER_CASES = [(path, name) for path, query, _ in ROUTES for name in query]
VALUE_CASES = [pytest.param(path, name, kind, id=f"{path}-{name}-{kind}",
                            marks=[pytest.mark.xfail(strict=True, reason="text filter accepts any "
                                                     "string: 200 with no rows instead of 4xx")]
                            if (path, name) in ACCEPTS_ANY_TEXT else [])
               for path, name in PARAMETER_CASES for kind in HOSTILE]


def asgi_get(app, path: str, query: str = "") -> tuple[int, dict[str, str], bytes]:
    """One GET straight through the ASGI app (no URL length limit on the way)."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": path, "raw_path": quote(path).encode(),
             "query_string": query.encode(), "root_path": "", "headers": [(b"host", b"127.0.0.1")],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80)}
    result: dict = {"status": None, "headers": {}, "body": b""}

    async def run():
        delivered = False

        async def receive():
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.sleep(3600)

        async def send(message):
            if message["type"] == "http.response.start":
                result["status"] = message["status"]
                result["headers"] = {k.decode().lower(): v.decode() for k, v in message["headers"]}
            elif message["type"] == "http.response.body":
                result["body"] += message.get("body", b"")

        await app(scope, receive, send)

    with concurrent.futures.ThreadPoolExecutor(1) as pool:   # see test_soak: a loop may be running here
        pool.submit(asyncio.run, run()).result()
    return result["status"], result["headers"], result["body"]


def url_for(path: str) -> str:
    return path.replace("{partner}", "USA")


def file_digest(db: Path) -> str:
    """SHA-256 of the store file and its write-ahead log: any write changes it."""
    digest = hashlib.sha256()
    for part in (db, db.with_name(db.name + ".wal")):
        digest.update(part.read_bytes() if part.exists() else b"-")
    return digest.hexdigest()


def content_digest(db: Path) -> str:
    """SHA-256 over every table's rows, read through a read-only handle."""
    digest = hashlib.sha256()
    with magwatch.open(db, read_only=True) as mw:
        con = mw.store.con
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() "
                                            "WHERE NOT temporary ORDER BY table_name").fetchall()]
        for table in tables:
            digest.update(table.encode())
            digest.update(repr(con.execute(f'SELECT * FROM "{table}" ORDER BY ALL').fetchall()).encode())
    return digest.hexdigest()


def _problem(response, status: int, parameter: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["detail"]
    if parameter is not None:
        assert body.get("parameter") == parameter, body
    return body


# -- fixtures -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def read_store(bundled_db: Path, tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("secread") / "store.duckdb"
    shutil.copy(bundled_db, copy)
    return copy


@pytest.fixture(scope="module")
def read_app(read_store: Path):
    return create_app(read_store, token=None)


@pytest.fixture(scope="module")
def read_state(read_store: Path) -> dict:
    return {"file": file_digest(read_store), "content": content_digest(read_store)}


@pytest.fixture
def store(bundled_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store.duckdb"
    shutil.copy(bundled_db, copy)
    return copy


@pytest.fixture
def writer(store: Path) -> TestClient:
    return TestClient(create_app(store, token=TOKEN, max_upload_bytes=4096),
                      raise_server_exceptions=False)


@pytest.fixture(scope="module")
def planted(bundled_db: Path, tmp_path_factory):
    """A store with hostile events added through the API: (client, event ids, store path)."""
    copy = tmp_path_factory.mktemp("secplant") / "store.duckdb"
    shutil.copy(bundled_db, copy)
    client = TestClient(create_app(copy, token=TOKEN), raise_server_exceptions=False)
    ids = {}
    for name, extra in {"linked": {"source_url": "https://example.org/planted"}, "plain": {}}.items():
        r = client.post("/api/v1/events", headers=AUTH, json={
            "date": "2025-05-15" if name == "linked" else "2025-05-16", "actor": XSS_ACTOR,
            "event_type": "other", "summary": XSS_SUMMARY, "partners": "USA", **extra})
        assert r.status_code == 201, r.text
        ids[name] = r.json()["event_id"]
    for i, text in enumerate(FORMULAS):
        r = client.post("/api/v1/events", headers=AUTH, json={
            "date": f"2025-03-0{i + 1}", "actor": text, "event_type": "other", "summary": text,
            "partners": "USA"})
        assert r.status_code == 201, r.text
    return client, ids, copy


# -- write endpoints: tokens ----------------------------------------------------------------------

EVENT = {"date": "2026-02-02", "actor": "Test ministry", "event_type": "other",
         "summary": "A test event", "partners": "USA"}
CSV = (b"reporter,partner,flow,commodity,period,net_weight_t,source_url\n"
       b"CHN,FRA,X,85051110,2025-06,12.5,https://example.org/fra\n")
WRONG_AUTH = {
    "missing": None,
    "empty": "",
    "scheme-only": "Bearer",
    "blank-token": "Bearer    ",
    "wrong-token": "Bearer nope",
    "case-changed": f"Bearer {TOKEN.upper()}",
    "prefix": f"Bearer {TOKEN[:-1]}",
    "longer": f"Bearer {TOKEN}x",
    "no-scheme": TOKEN,
    "basic": "Basic czNjcmV0LXRva2VuLWZvci10ZXN0cw==",
    "sql": "Bearer ' OR 1=1 --",
    "oversized": "Bearer " + "A" * 60_000,
}


def _write(client: TestClient, endpoint: str, header: str | None):
    headers = {} if header is None else {"Authorization": header}
    if endpoint == "events":
        return client.post("/api/v1/events", json=EVENT, headers=headers)
    return client.post("/api/v1/import", files={"file": ("fra.csv", CSV, "text/csv")}, headers=headers)


@pytest.mark.parametrize("endpoint", ["events", "import"])
@pytest.mark.parametrize("token", [None, ""], ids=["none", "empty"])
def test_writing_is_off_without_a_configured_token(store, endpoint, token):
    client = TestClient(create_app(store, token=token), raise_server_exceptions=False)
    before = file_digest(store)
    for header in (None, f"Bearer {TOKEN}", "Bearer ", "Bearer anything"):
        body = _problem(_write(client, endpoint, header), 403)
        assert "MAGWATCH_TOKEN" in body["detail"]
    assert file_digest(store) == before


@pytest.mark.parametrize("endpoint", ["events", "import"])
@pytest.mark.parametrize("kind", list(WRONG_AUTH))
def test_write_endpoints_refuse_missing_and_wrong_tokens(store, writer, endpoint, kind):
    before = file_digest(store)
    r = _write(writer, endpoint, WRONG_AUTH[kind])
    body = _problem(r, 401, "Authorization")
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert TOKEN not in r.text and len(r.text) < 2000          # the token is never echoed
    assert "Authorization" in body["detail"]
    assert file_digest(store) == before


@pytest.mark.parametrize("endpoint", ["events", "import"])
def test_the_right_token_writes(store, writer, endpoint):
    before = content_digest(store)
    r = _write(writer, endpoint, f"Bearer {TOKEN}")
    assert r.status_code == 201, r.text
    assert content_digest(store) != before


def test_uploaded_file_names_cannot_reach_outside_the_upload_directory(store, writer, tmp_path):
    r = writer.post("/api/v1/import", headers=AUTH,
                    files={"file": ("../../../../tmp/evil name.csv", CSV, "text/csv")})
    assert r.status_code == 201, r.text
    assert r.json()["file_name"] == "evil_name.csv"
    assert not Path("/tmp/evil name.csv").exists()


# -- query parameters: SQL fragments, traversal, oversized values ------------------------------------

def test_every_get_route_and_parameter_is_swept():
    paths = {p for p, _, _ in ROUTES}
    assert {"/api/v1/flows", "/api/v1/claims", "/api/v1/monitor", "/api/v1/events", "/api/v1/mirror",
            "/api/v1/provenance", "/", "/events", "/partner/{partner}", "/risk"} <= paths
    assert len(PARAMETER_CASES) >= 80
    assert {("/api/v1/flows", "from"), ("/api/v1/flows", "limit"), ("/risk", "scenario")} <= \
        set(PARAMETER_CASES)


@pytest.mark.parametrize("path,name", PARAMETER_CASES, ids=[f"{p}-{n}" for p, n in PARAMETER_CASES])
def test_hostile_values_never_5xx_and_leave_the_store_unchanged(read_app, read_store, read_state,
                                                                path, name):
    for kind, value in HOSTILE.items():
        status, headers, body = asgi_get(read_app, url_for(path),
                                         urlencode({**NEEDED.get(path, {}), name: value}))
        assert status < 500, (kind, status, body[:300])
        assert b"Traceback" not in body and b"duckdb" not in body.lower(), (kind, body[:300])
        if status >= 400 and headers.get("content-type", "").startswith(PROBLEM):
            assert body.count(b"\n") == 0
    assert file_digest(read_store) == read_state["file"]


@pytest.mark.parametrize("path,name,kind", VALUE_CASES)
def test_hostile_values_are_refused_with_4xx(read_app, path, name, kind):
    status, _, body = asgi_get(read_app, url_for(path),
                               urlencode({**NEEDED.get(path, {}), name: HOSTILE[kind]}))
    assert 400 <= status < 500, (status, body[:200])


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_path_segments_are_4xx(read_app, read_store, read_state, kind):
    value = HOSTILE[kind]
    for path in (f"/partner/{value}", f"/api/v1/{value}", f"/static/{value}", f"/{value}"):
        status, _, body = asgi_get(read_app, path)
        assert 400 <= status < 500, (path[:60], status, body[:200])
        assert b"root:" not in body
    for path in ("/static/../../../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd",
                 "/static/..%2f..%2f..%2fetc/passwd", "/static/vendor/../../app.py"):
        status, _, body = asgi_get(read_app, path)
        assert 400 <= status < 500 and b"root:" not in body and b"create_app" not in body, path
    assert file_digest(read_store) == read_state["file"]


@pytest.mark.parametrize("path", sorted({p for p, _, _ in ROUTES if not p.startswith("/api/")}))
def test_parameters_are_not_reflected_unescaped_on_pages(read_app, path):
    names = next(q for p, q, _ in ROUTES if p == path)
    for name in names:
        status, _, body = asgi_get(read_app, url_for(path),
                                   urlencode({**NEEDED.get(path, {}), name: REFLECTED}))
        assert status < 500, (name, status)
        assert REFLECTED.encode() not in body and b"<script>window.__pwned" not in body, name


def test_the_sweep_changed_nothing(read_store, read_state):
    assert content_digest(read_store) == read_state["content"]
    assert file_digest(read_store) == read_state["file"]


# -- planted HTML and script: escaped on every page ---------------------------------------------------

def _pages(ids: dict) -> dict[str, bool]:
    """Dashboard pages and whether they list the planted event."""
    return {"/events": True, "/events?type=other": True, "/events?partner=USA": True,
            "/events?from=2025-05&to=2025-05-31": True, "/partner/USA": True,
            f"/events/study?event={ids['linked']}&partner=USA": True,
            f"/events/study?event={ids['plain']}": True,
            "/?month=2025-05": False, "/": False, "/risk": False,
            "/provenance?partner=USA&period=2025-05": False}


def test_planted_event_is_escaped_on_every_page(planted):
    client, ids, _ = planted
    listed = []
    for url, lists_events in _pages(ids).items():
        r = client.get(url)
        assert r.status_code == 200, (url, r.text[:300])
        for marker in RAW_MARKERS:
            assert marker not in r.text, (url, marker)
        # inside <script type="application/json"> blocks, < and > are \u-escaped
        for block in r.text.split('type="application/json"')[1:]:
            assert "</script><script" not in block.split("</script>")[0]
            assert "<" not in block.split("</script>")[0].split(">", 1)[1], url
        if lists_events:
            assert ESCAPED_SUMMARY in r.text, url
            listed.append(url)
    assert len(listed) == 7


def test_planted_event_comes_back_verbatim_from_the_api(planted):
    client, ids, _ = planted
    rows = client.get("/api/v1/events", params={"partner": "USA", "from": "2025-05-15",
                                                "to": "2025-05-16"}).json()["rows"]
    assert {r["event_id"]: r["summary"] for r in rows} == {ids["linked"]: XSS_SUMMARY,
                                                          ids["plain"]: XSS_SUMMARY}
    r = client.get("/api/v1/events")
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in r.headers["content-security-policy"]


@pytest.mark.browser
def test_planted_script_does_not_run_in_chromium(bundled_db, tmp_path, serve_web, browser):
    import httpx

    db = tmp_path / "store.duckdb"
    shutil.copy(bundled_db, db)
    with serve_web(db, token=TOKEN) as (_, base):
        r = httpx.post(base + "/api/v1/events", headers=AUTH, timeout=30, json={
            "date": "2025-05-15", "actor": XSS_ACTOR, "event_type": "other", "summary": XSS_SUMMARY,
            "partners": "USA", "source_url": "https://example.org/planted"})
        assert r.status_code == 201, r.text
        context = browser.new_context()
        try:
            page = context.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            for url, table in (("/events", "#events"), ("/partner/USA", "#partner-events")):
                page.goto(base + url)
                page.wait_for_load_state("load")
                assert "window.__pwned=1" in page.inner_text(table), url   # shown as text
                assert page.evaluate("typeof window.__pwned") == "undefined", url
                assert page.locator(f"{table} script").count() == 0
                assert page.locator(f"{table} img").count() == 0
            assert dialogs == []
        finally:
            context.close()


# -- exports: formula-like cells neutralised ---------------------------------------------------------

def _formula_like(cell: str) -> bool:
    return cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_api_csv_neutralises_formula_like_cells(planted):
    client, _, _ = planted
    text = client.get("/api/v1/events", params={"format": "csv", "from": "2025-03-01",
                                                "to": "2025-03-04"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["summary"] for r in rows) == sorted("'" + f for f in FORMULAS)
    assert sorted(r["actor"] for r in rows) == sorted("'" + f for f in FORMULAS)
    for row in rows:
        assert not any(_formula_like(v) for v in row.values()), row


def test_api_and_cli_flow_exports_neutralise_formula_like_cells(store, tmp_path):
    source = tmp_path / "notes.csv"
    source.write_text("reporter,partner,flow,commodity,period,net_weight_t,source_url,note,source_ref\n"
                      + "".join(f'CHN,{p},X,85051110,2025-06,{i + 1}.5,https://example.org/{p},"{f.replace(chr(34), chr(34) * 2)}",{f[:1]}ref\n'
                                for i, (p, f) in enumerate(zip(["FRA", "ITA", "ESP", "PRT"], FORMULAS))),
                      encoding="utf-8")
    with magwatch.open(store) as mw:
        assert mw.import_file(source, vintage="2025-07-20").rows_added == 4
    client = TestClient(create_app(store, token=None), raise_server_exceptions=False)
    api_csv = client.get("/api/v1/flows", params={"period": "2025-06", "source": "user",
                                                  "format": "csv"}).text
    cli_csv = subprocess.run([str(MAGWATCH), "--db", str(store), "flows", "--period", "2025-06",
                              "--source", "user", "--format", "csv"], capture_output=True, text=True,
                             timeout=120)
    assert cli_csv.returncode == 0, cli_csv.stderr
    for text in (api_csv, cli_csv.stdout):
        rows = list(csv.DictReader(io.StringIO(text)))
        assert sorted(r["note"] for r in rows) == sorted("'" + f for f in FORMULAS)
        assert {r["source_ref"] for r in rows} == {"'=ref", "'+ref", "'-ref", "'@ref"}
        for row in rows:
            assert not any(_formula_like(v) for v in row.values()), row
    out = tmp_path / "flows.xlsx"
    done = subprocess.run([str(MAGWATCH), "--db", str(store), "flows", "--period", "2025-06",
                           "--source", "user", "--format", "xlsx", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    notes = _check_xlsx(out, "note")
    assert sorted(notes) == sorted("'" + f for f in FORMULAS)


def _check_xlsx(path: Path, column: str) -> list:
    import openpyxl

    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    for row in rows[1:]:
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            if isinstance(cell.value, str):
                assert not _formula_like(cell.value), (cell.coordinate, cell.value)
    return [row[header.index(column)].value for row in rows[1:]]


def test_cli_event_exports_neutralise_formula_like_cells(planted, tmp_path):
    _, _, db = planted
    args = ["--from", "2025-03-01", "--to", "2025-03-04"]
    done = subprocess.run([str(MAGWATCH), "--db", str(db), "events", *args, "--format", "csv"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert sorted(r["summary"] for r in rows) == sorted("'" + f for f in FORMULAS)
    assert not any(_formula_like(v) for r in rows for v in r.values())
    out = tmp_path / "events.xlsx"
    done = subprocess.run([str(MAGWATCH), "--db", str(db), "events", *args, "--format", "xlsx",
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(_check_xlsx(out, "actor")) == sorted("'" + f for f in FORMULAS)


# -- uploads: size limits -----------------------------------------------------------------------------

def test_upload_over_the_declared_limit_is_413_and_nothing_is_stored(store, writer):
    before = file_digest(store)
    huge = CSV + b"CHN,FRA,X,85051110,2025-05,1,https://example.org/x\n" * 3000
    body = _problem(writer.post("/api/v1/import", headers=AUTH,
                                files={"file": ("huge.csv", huge, "text/csv")}), 413, "file")
    assert "4,096 bytes" in body["detail"]
    assert file_digest(store) == before


def test_upload_over_the_limit_within_the_framing_allowance_is_413(store, writer):
    before = file_digest(store)
    big = CSV + b"CHN,FRA,X,85051110,2025-05,1,https://example.org/x\n" * 100
    assert 4096 < len(big) < 4096 + 65_536
    _problem(writer.post("/api/v1/import", headers=AUTH, files={"file": ("big.csv", big, "text/csv")}),
             413, "file")
    assert file_digest(store) == before
    small = writer.post("/api/v1/import", headers=AUTH, files={"file": ("ok.csv", CSV, "text/csv")})
    assert small.status_code == 201, small.text                 # the limit is not a blanket refusal


def test_upload_without_a_length_is_refused(store, writer):
    before = file_digest(store)

    def chunks():
        yield b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n"
        yield CSV
        yield b"\r\n--x--\r\n"

    r = writer.post("/api/v1/import", headers={**AUTH, "Content-Type": "multipart/form-data; boundary=x"},
                    content=chunks())
    _problem(r, 411, "file")
    assert file_digest(store) == before


@pytest.fixture(scope="module")
def live_server(bundled_db: Path, tmp_path_factory, serve_web):
    db = tmp_path_factory.mktemp("seclive") / "store.duckdb"
    shutil.copy(bundled_db, db)
    with serve_web(db, token=TOKEN) as (_, base):
        yield base, db


def _raw_request(base: str, request: bytes) -> bytes:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(request)                      # 'Connection: close': the server ends the answer
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def test_a_real_server_refuses_an_oversized_parameter_and_upload(live_server):
    # uvicorn passes a 100 kB request line on to the app: the app's own checks must refuse it
    base, db = live_server
    before = file_digest(db)
    answer = _raw_request(base, b"GET /api/v1/flows?period=" + b"A" * 100_000 +
                          b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    status = int(answer.split(b" ", 2)[1])
    assert 400 <= status < 500, answer[:200]
    declared = 60 * 1024 * 1024                       # more than the default 50 MB limit
    answer = _raw_request(base, (f"POST /api/v1/import HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 f"Authorization: Bearer {TOKEN}\r\nContent-Type: multipart/form-data; "
                                 f"boundary=x\r\nContent-Length: {declared}\r\nConnection: close\r\n\r\n"
                                 ).encode() + b"--x\r\n")
    assert int(answer.split(b" ", 2)[1]) == 413, answer[:300]
    assert b"larger than the limit" in answer
    assert file_digest(db) == before
