"""The REST API through the ASGI test client: every endpoint, its errors, its auth, uploads."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import pytest

import magwatch
from magwatch.render import jsonable

with warnings.catch_warnings():              # starlette's note about httpx2 is not ours to fix
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient  # noqa: E402

from magwatch.web.app import create_app  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def client(bundled_db: Path, tmp_path_factory) -> TestClient:
    """A read-only client over a copy of the bundled store (writing off: no token)."""
    copy = tmp_path_factory.mktemp("webread") / "store.duckdb"
    shutil.copy(bundled_db, copy)
    return TestClient(create_app(copy, token=None), raise_server_exceptions=False)


@pytest.fixture
def writer(bundled_db: Path, tmp_path: Path) -> TestClient:
    copy = tmp_path / "store.duckdb"
    shutil.copy(bundled_db, copy)
    return TestClient(create_app(copy, token=TOKEN, max_upload_bytes=4096),
                      raise_server_exceptions=False)


def _problem(response, status: int, parameter: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["detail"]
    if parameter is not None:
        assert body.get("parameter") == parameter, body
        assert parameter in body["detail"]
    return body


# -- reading ----------------------------------------------------------------------------------

def test_flows_june_2025_us_is_353_t_with_its_source(client):
    r = client.get("/api/v1/flows", params={"reporter": "CHN", "partner": "USA",
                                             "commodity": "85051110", "period": "2025-06"})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 1
    row = body["rows"][0]
    assert row["net_weight_t"] == 353.0
    assert row["source_file"] == "china_magnet_exports_monthly.csv" and row["source_row"]
    assert row["source_url"].startswith("https://") and row["vintage"] == "2025-07-20"


def test_flows_pagination_and_csv(client):
    everything = client.get("/api/v1/flows", params={"months": 0}).json()
    assert everything["total"] > 10
    page = client.get("/api/v1/flows", params={"months": 0, "limit": 5, "offset": 5})
    body = page.json()
    assert body["limit"] == 5 and body["offset"] == 5 and len(body["rows"]) == 5
    assert body["rows"] == everything["rows"][5:10]
    assert "offset=10" in body["next"] and 'rel="next"' in page.headers["link"]
    assert page.headers["x-total-count"] == str(everything["total"])
    last = client.get("/api/v1/flows", params={"months": 0, "offset": everything["total"]}).json()
    assert last["rows"] == [] and last["next"] is None
    csv = client.get("/api/v1/flows", params={"partner": "USA", "period": "2025-06", "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0].startswith("reporter,partner,flow") and len(lines) == 2 and ",353.0," in lines[1]


def test_monitor_is_the_python_api_result(client, bundled_db):
    r = client.get("/api/v1/monitor", params={"month": "2025-06"})
    assert r.status_code == 200
    body = r.json()
    assert body["world"]["net_weight_t"] == 3188.0
    usa = next(p for p in body["partners"] if p["partner"] == "USA")
    assert usa["net_weight_t"] == 353.0
    with magwatch.open(bundled_db, read_only=True) as mw:
        direct = json.loads(json.dumps(jsonable(mw.monitor("2025-06").to_dict())))
    assert body == direct
    csv = client.get("/api/v1/monitor", params={"month": "2025-06", "format": "csv"})
    assert csv.status_code == 200 and "\nUSA,353.0," in csv.text


def test_claims_releases_revisions_info_audit(client):
    claims = client.get("/api/v1/claims", params={"partner": "USA", "period": "2025-06",
                                                   "metric": "mom_pct"}).json()
    assert [c["value"] for c in claims["rows"]] == [660.0]
    releases = client.get("/api/v1/releases").json()
    assert releases["total"] >= 1 and all(r["sha256"] for r in releases["rows"])
    revisions = client.get("/api/v1/revisions").json()
    assert revisions["total"] == len(revisions["rows"])
    info = client.get("/api/v1/info").json()
    assert info["observations"] > 0 and "path" not in info
    audit = client.get("/api/v1/audit", params={"limit": 10}).json()
    assert audit["total"] > 10 and len(audit["rows"]) == 10
    assert {"reported", "computed", "status", "source_url"} <= set(audit["rows"][0])


def test_provenance_lists_observations_and_claims_with_urls(client):
    body = client.get("/api/v1/provenance", params={"partner": "USA", "period": "2025-06"}).json()
    assert [o["net_weight_t"] for o in body["observations"] if o["period_months"] == 1] == [353.0]
    assert {c["metric"] for c in body["claims"]} >= {"mom_pct"}
    assert all(o["source_url"] and o["vintage"] for o in body["observations"] + body["claims"])


def test_events_event_study_explain(client):
    events = client.get("/api/v1/events", params={"from": "2025-04", "to": "2025-04-30",
                                                   "type": "export_control"}).json()
    assert "ev-2025-04-04" in [e["event_id"] for e in events["rows"]]
    csv = client.get("/api/v1/events", params={"format": "csv", "limit": 3})
    assert csv.status_code == 200 and len(csv.text.strip().splitlines()) == 4
    study = client.get("/api/v1/event-study", params={"event": "ev-2025-04-04", "partner": "USA"}).json()
    month0 = next(m for m in study["months"] if m["offset"] == 0)
    assert month0["period"] == "2025-04" and month0["net_weight_t"] == 246.0
    explained = client.get("/api/v1/explain", params={"month": "2025-06", "partner": "USA"}).json()
    assert explained["figure"]["net_weight_t"] == 353.0 and explained["events"]


def test_risk_and_scenarios(client):
    risk = client.get("/api/v1/risk", params={"month": "2025-06"}).json()
    assert risk["month"] == "2025-06" and risk["exports_by_partner"]
    names = [s["name"] for s in client.get("/api/v1/scenarios").json()]
    assert "partial-licence" in names
    run = client.post("/api/v1/scenarios/run", json={"scenario": "partial-licence", "paths": 500,
                                                      "seed": 1}).json()
    assert run["paths"] == 500 and run["total"] and "file" not in run
    again = client.post("/api/v1/scenarios/run", json={"scenario": "partial-licence", "paths": 500,
                                                        "seed": 1}).json()
    assert again["total"] == run["total"]
    from magwatch.risk.scenario import SCENARIO_DIR

    spec = tomllib.loads((SCENARIO_DIR / "partial-licence.toml").read_text(encoding="utf-8"))
    posted = client.post("/api/v1/scenarios/run", json={"scenario": spec, "paths": 500, "seed": 1})
    assert posted.status_code == 200, posted.text
    assert posted.json()["total"] == run["total"]


def test_health_openapi_and_security_headers(client):
    r = client.get("/healthz")
    assert r.json() == {"status": "ok"}
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    paths = client.get("/openapi.json").json()["paths"]
    for route in ("/api/v1/flows", "/api/v1/claims", "/api/v1/monitor", "/api/v1/audit",
                  "/api/v1/events", "/api/v1/event-study", "/api/v1/explain", "/api/v1/risk",
                  "/api/v1/scenarios", "/api/v1/scenarios/run", "/api/v1/import", "/api/v1/releases",
                  "/api/v1/revisions", "/api/v1/provenance", "/api/v1/info"):
        assert route in paths, route
    assert client.get("/api/docs").status_code == 200


# -- errors: problem+json naming the parameter, 4xx never 5xx ----------------------------------

BAD = [
    ("/api/v1/monitor?month=June", 400, "month"),
    ("/api/v1/monitor?flow=Q", 400, "flow"),
    ("/api/v1/monitor?format=xml", 422, "format"),
    ("/api/v1/flows?limit=0", 422, "limit"),
    ("/api/v1/flows?limit=100000", 422, "limit"),
    ("/api/v1/flows?offset=-1", 422, "offset"),
    ("/api/v1/flows?months=13", 422, "months"),
    ("/api/v1/flows?period=2025-13", 400, "period"),
    ("/api/v1/flows?as_of=yesterday", 400, "as_of"),
    ("/api/v1/claims?period=2025", 400, "period"),
    ("/api/v1/revisions?since=soon", 400, "since"),
    ("/api/v1/revisions?release=x", 422, "release"),
    ("/api/v1/provenance?period=2025-06", 422, "partner"),
    ("/api/v1/provenance?partner=USA&period=June", 400, "period"),
    ("/api/v1/events?from=someday", 400, None),
    ("/api/v1/event-study", 422, "event"),
    ("/api/v1/explain?month=2025-6x", 400, "month"),
    ("/api/v1/explain?month=2025-06&lookback=99", 422, "lookback"),
    ("/api/v1/risk?month=bad", 400, "month"),
]


@pytest.mark.parametrize("url,status,parameter", BAD, ids=[b[0] for b in BAD])
def test_bad_parameters_are_problems_naming_the_parameter(client, url, status, parameter):
    _problem(client.get(url), status, parameter)


def test_no_data_is_404_saying_why(client):
    body = _problem(client.get("/api/v1/monitor", params={"month": "2031-01"}), 404)
    assert "not released" in body["detail"]
    _problem(client.get("/api/v1/nothing-here"), 404)


@pytest.mark.parametrize("payload,status,parameter", [
    ({"scenario": "/etc/passwd"}, 400, "scenario"),
    ({"scenario": "partial-licence", "paths": 0}, 422, "paths"),
    ({"scenario": "partial-licence", "paths": 10_000_000}, 422, "paths"),
    ({"scenario": {"months": 100000}}, 400, "scenario.months"),
    ({"scenario": {"months": "x"}}, 400, "scenario.months"),
    ({}, 422, "scenario"),
])
def test_scenario_run_rejects_bad_input(client, payload, status, parameter):
    _problem(client.post("/api/v1/scenarios/run", json=payload), status, parameter)


def test_scenario_spec_errors_are_4xx(client):
    r = client.post("/api/v1/scenarios/run", json={"scenario": {"title": "x", "months": 3}, "paths": 10})
    assert 400 <= r.status_code < 500 and r.headers["content-type"].startswith(PROBLEM), r.text


def test_store_in_use_by_another_process_is_503_with_retry_after(bundled_db, tmp_path):
    copy = tmp_path / "busy.duckdb"
    shutil.copy(bundled_db, copy)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('locked', flush=True); time.sleep(60)", str(copy)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        client = TestClient(create_app(copy, token=None), raise_server_exceptions=False)
        r = client.get("/api/v1/monitor", params={"month": "2025-06"})
        body = _problem(r, 503)
        assert "in use" in body["detail"] and r.headers["retry-after"].isdigit()
        assert not [w for w in (str(copy), sys.executable, "PID", str(holder.pid)) if w in r.text]
        page = client.get("/", params={"month": "2025-06"})
        assert page.status_code == 503 and "in use" in page.text
    finally:
        holder.kill()
        holder.wait()
    r = client.get("/api/v1/monitor", params={"month": "2025-06"})
    assert r.status_code == 200 and r.json()["world"]["net_weight_t"] == 3188.0


def test_missing_store_is_503(tmp_path):
    client = TestClient(create_app(tmp_path / "none.duckdb", token=None), raise_server_exceptions=False)
    body = _problem(client.get("/api/v1/flows"), 503)
    assert "magwatch load" in body["detail"]


# -- writing: auth, events, uploads ------------------------------------------------------------

EVENT = {"date": "2026-02-02", "actor": "Test ministry", "event_type": "other",
         "summary": "A test event", "source_url": "https://example.org/a", "partners": "USA"}


def test_writing_is_off_without_a_token(client):
    _problem(client.post("/api/v1/events", json=EVENT, headers=AUTH), 403)
    files = {"file": ("x.csv", b"reporter\n", "text/csv")}
    body = _problem(client.post("/api/v1/import", files=files, headers=AUTH), 403)
    assert "MAGWATCH_TOKEN" in body["detail"]


def test_write_endpoints_need_the_bearer_token(writer):
    r = writer.post("/api/v1/events", json=EVENT)
    _problem(r, 401, "Authorization")
    assert r.headers["www-authenticate"].startswith("Bearer")
    _problem(writer.post("/api/v1/events", json=EVENT, headers={"Authorization": "Bearer nope"}),
             401, "Authorization")
    _problem(writer.post("/api/v1/events", json=EVENT, headers={"Authorization": "Basic eDp5"}),
             401, "Authorization")
    _problem(writer.post("/api/v1/import", files={"file": ("x.csv", b"a\n", "text/csv")}),
             401, "Authorization")


def test_add_event_then_read_it(writer):
    r = writer.post("/api/v1/events", json=EVENT, headers=AUTH)
    assert r.status_code == 201, r.text
    event_id = r.json()["event_id"]
    again = writer.post("/api/v1/events", json=EVENT, headers=AUTH)
    assert again.status_code == 200 and again.json()["added"] is False
    listed = writer.get("/api/v1/events", params={"from": "2026-02", "to": "2026-02-28"}).json()
    assert event_id in [e["event_id"] for e in listed["rows"]]
    bad = writer.post("/api/v1/events", json={**EVENT, "date": "2026-13-01"}, headers=AUTH)
    assert 400 <= bad.status_code < 500 and bad.headers["content-type"].startswith(PROBLEM)
    _problem(writer.post("/api/v1/events", json={"date": "2026-02-02"}, headers=AUTH), 422, "actor")


CSV = (b"reporter,partner,flow,commodity,period,net_weight_t,source_url\n"
       b"CHN,FRA,X,85051110,2025-06,12.5,https://example.org/fra\n")


def test_import_through_the_safe_ingestion(writer):
    r = writer.post("/api/v1/import", files={"file": ("fra.csv", CSV, "text/csv")},
                    data={"source": "user", "vintage": "2025-07-20"}, headers=AUTH)
    assert r.status_code == 201, r.text
    assert r.json()["rows_added"] == 1 and r.json()["file_name"] == "fra.csv"
    rows = writer.get("/api/v1/flows", params={"partner": "FRA", "period": "2025-06"}).json()["rows"]
    assert [(x["net_weight_t"], x["source"], x["vintage"]) for x in rows] == [(12.5, "user", "2025-07-20")]
    same = writer.post("/api/v1/import", files={"file": ("fra.csv", CSV, "text/csv")}, headers=AUTH)
    assert same.status_code == 200 and same.json()["skipped"] is True


def test_bad_upload_is_refused_and_nothing_is_stored(writer):
    before = writer.get("/api/v1/info").json()
    bad = CSV.replace(b"12.5", b"-3")
    body = _problem(writer.post("/api/v1/import", files={"file": ("bad.csv", bad, "text/csv")},
                                headers=AUTH), 400)
    assert body["field"] == "net_weight_t" and body["row"] == 1 and "bad.csv" in body["detail"]
    _problem(writer.post("/api/v1/import", files={"file": ("x.exe", CSV, "text/csv")}, headers=AUTH),
             400, "file")
    _problem(writer.post("/api/v1/import", data={"source": "user"}, headers=AUTH), 422, "file")
    after = writer.get("/api/v1/info").json()
    assert after["observations"] == before["observations"] and after["releases"] == before["releases"]


def test_upload_size_limit(writer):
    big = CSV + b"".join(b"CHN,FRA,X,85051110,2025-05,1,https://example.org/x\n" for _ in range(200))
    assert 4096 < len(big) < 4096 + 65_536
    huge = big * 40                                  # well over limit + multipart allowance
    _problem(writer.post("/api/v1/import", files={"file": ("huge.csv", huge, "text/csv")},
                         headers=AUTH), 413, "file")
    # over the limit but within the framing allowance: refused while reading the file
    _problem(writer.post("/api/v1/import", files={"file": ("big.csv", big, "text/csv")},
                         headers=AUTH), 413, "file")


# -- pages -------------------------------------------------------------------------------------

def test_pages_render_real_tables(client):
    page = client.get("/", params={"month": "2025-06"})
    assert page.status_code == 200 and "<table" in page.text
    assert 'data-partner="USA"' in page.text and "353 t" in page.text and "3,188 t" in page.text
    assert "/provenance?partner=USA&amp;period=2025-06" in page.text
    partner = client.get("/partner/USA")
    assert partner.status_code == 200 and 'id="chart-data"' in partner.text and "ev-2025-04-04" in partner.text
    assert client.get("/partner/usa", params={"code": "deu"}, follow_redirects=False).headers["location"] == "/partner/DEU"
    assert "Announcement No.18" in client.get("/events").text
    prov = client.get("/provenance", params={"partner": "USA", "period": "2025-06"})
    assert "timeslive.co.za" in prov.text and "china_magnet_exports_monthly.csv" in prov.text
    study = client.get("/events/study", params={"event": "ev-2025-04-04", "partner": "USA"})
    assert study.status_code == 200 and "246 t" in study.text
    risk = client.get("/risk", params={"scenario": "partial-licence", "paths": 300})
    assert risk.status_code == 200 and 'id="fan-data"' in risk.text


def test_page_errors_are_html_with_4xx(client):
    r = client.get("/", params={"month": "nope"})
    assert r.status_code == 400 and "parameter &#39;month&#39;" in r.text
    assert client.get("/partner/NZL").status_code == 404          # a known code with no figures
    assert client.get("/partner/XXX").status_code == 400          # not a country code
    assert client.get("/provenance").status_code == 400
    assert client.get("/risk", params={"scenario": "nope"}).status_code == 400


def test_data_is_escaped_on_pages(writer):
    hostile = {**EVENT, "date": "2025-05-15", "summary": "<script>alert(1)</script> & co",
               "actor": "<b>Actor</b>"}
    assert writer.post("/api/v1/events", json=hostile, headers=AUTH).status_code == 201
    html = writer.get("/events").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "<b>Actor</b>" not in html
    partner = writer.get("/partner/USA").text
    assert "<script>alert" not in partner and "\\u003cscript\\u003e" not in partner.split('id="chart-data"')[0]


def test_links_only_from_http_urls():
    from magwatch.web.pages import http_url, json_script

    assert http_url("https://example.org/x") == "https://example.org/x"
    assert http_url("javascript:alert(1)") is None and http_url("data:text/html,x") is None
    assert http_url(None) is None
    assert "</script>" not in str(json_script({"a": "</script><script>"}))


def test_every_month_in_the_picker_renders(client):
    import re

    months = re.findall(r'<option value="(\d{4}-\d{2})"', client.get("/").text)
    assert "2025-06" in months and len(months) > 20
    failed = [(m, r.status_code) for m in months
              if (r := client.get("/", params={"month": m})).status_code != 200]
    assert failed == []


def test_mirror_says_the_partner_side_is_missing_on_bundled_data(client):
    result = client.get("/api/v1/mirror", params={"partner": "USA"}).json()
    assert result["months"], result
    text = json.dumps(result)
    assert "353" in text                      # China's June 2025 figure is shown
    assert "missing" in text or "no partner figure" in text
    bad = client.get("/api/v1/mirror", params={"partner": "USA", "lag": 9})
    assert bad.status_code == 422 and "lag" in bad.text


def test_check_posts_a_text_and_gets_verdicts(client):
    text = ("China exported 3,188 metric tons of rare-earth magnets globally in June, a 160% increase "
            "from May, though still 38% lower year-over-year.")
    r = client.post("/api/v1/check", json={"text": text, "as_of": "2025-07-20"})
    assert r.status_code == 200, r.text
    rows = r.json()["claims"]
    assert [(x["metric"], x["verdict"], x["rounded"]) for x in rows] == [
        ("net_weight_t", "consistent", False), ("mom_pct", "consistent", True), ("yoy_pct", "consistent", False)]
    wrong = client.post("/api/v1/check", json={"text": text.replace("3,188", "4,188"), "as_of": "2025-07-20"})
    assert [x["verdict"] for x in wrong.json()["claims"]][0] == "inconsistent"
    bad = client.post("/api/v1/check", json={"text": text, "as_of": "July 20"})
    assert bad.status_code == 400 and "as_of" in bad.text
    assert client.post("/api/v1/check", json={"text": ""}).status_code in (400, 422)


def test_a_magwatch_writer_holding_the_store_turns_no_reader_away(bundled_db, tmp_path):
    """A writer works on a private copy (magwatch.store.writer): the server reads on, and sees
    the writer's release once it is published."""
    copy = tmp_path / "writing.duckdb"
    shutil.copy(bundled_db, copy)
    (tmp_path / "one.csv").write_text("reporter,partner,flow,commodity,period,net_weight_t\n"
                                      "CHN,FRA,X,85051110,2025-06,12.5\n")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, magwatch; m = magwatch.open(sys.argv[1]); "
         "print('writing', flush=True); sys.stdin.readline(); m.import_file(sys.argv[2]); "
         "print('published', flush=True); sys.stdin.readline()", str(copy), str(tmp_path / "one.csv")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "writing"
        client = TestClient(create_app(copy, token=None), raise_server_exceptions=False)
        r = client.get("/api/v1/flows", params={"partner": "FRA", "months": 0})
        assert r.status_code == 200 and r.json()["total"] == 0
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "published"
        r = client.get("/api/v1/flows", params={"partner": "FRA", "months": 0})
        assert r.status_code == 200 and r.json()["total"] == 1         # the writer still holds it
    finally:
        holder.kill()
        holder.wait()
