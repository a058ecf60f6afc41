"""No parameter value turns an API answer or a dashboard page into a 5xx.

Every GET route of the application is listed from the app itself (a new route is probed
without editing this file) and each of its query parameters gets extreme values: months
far in the past or future, negative and huge numbers, impossible dates. The API answers
200 or a 4xx problem+json; a dashboard page answers 200 or a 4xx error page. Months and
days are held to one range (``magwatch.params.query_months``), stated in the refusal, and
the web limits (``magwatch.web.limits``) are named by their refusals.
"""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import pytest

from magwatch import params
from magwatch.errors import ParameterError
from magwatch.periods import Month
from magwatch.web import limits

with warnings.catch_warnings():              # starlette's note about httpx2 is not ours to fix
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient  # noqa: E402

from magwatch.web.app import create_app  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PROBLEM = "application/problem+json"
FIRST, LAST = params.query_months()
RANGE = f"from {FIRST} to {LAST}"
FAR_MONTHS = ["0001-01", "9999-12", "1900-01", "10000-01", "-1", str(LAST + 1), str(FIRST - 1)]
#: Extreme values for every parameter (``-m slow``), and the few the default run tries by the
#: parameter's type: text parameters take months, days and windows; numbers take numbers.
EXTREME = ["0001-01", "9999-12", "1900-01", "10000-01", "-1", "0", "99999999999999999999999",
           "-99999999999", "2025-02-30", "9999-12-31", "0001-01-01", "-999:+999", "nan", "inf"]
EXTREME_TEXT = ["0001-01", "9999-12-31", "-1", "-999:+999"]
EXTREME_NUMBER = ["-1", "99999999999999999999999"]
#: Parameters a request needs besides the one under test, so that the value tried is what is judged.
NEEDED = {
    "/api/v1/provenance": {"partner": "USA", "period": "2025-06"},
    "/api/v1/event-study": {"event": "ev-2025-04-04"},
    "/api/v1/explain": {"month": "2025-06"},
    "/api/v1/mirror": {"partner": "USA"},
    "/events/study": {"event": "ev-2025-04-04"},
}


def _query_parameters(dependant) -> list[tuple[str, object]]:
    names = [(f.alias, f.field_info.annotation) for f in dependant.query_params]
    for sub in dependant.dependencies:
        names += _query_parameters(sub)
    return names


def values_for(annotation) -> list[str]:
    """The default run's extreme values for a parameter of this type."""
    import typing

    kinds = typing.get_args(annotation) or (annotation,)
    return EXTREME_NUMBER if int in kinds and str not in kinds else EXTREME_TEXT


def get_routes(app) -> list[tuple[str, list[tuple[str, object]]]]:
    """Every GET route of the application (API, pages, docs, health) with its query parameters
    and their types."""
    from fastapi.routing import APIRoute

    try:                                     # routers included in the app are listed through it
        from fastapi.routing import iter_route_contexts
        found = [(c.path, c.original_route) for c in iter_route_contexts(app.routes)]
    except ImportError:
        found = [(r.path, r) for r in app.routes]
    return [(path, _query_parameters(route.dependant)) for path, route in found
            if isinstance(route, APIRoute) and "GET" in route.methods]


def url_for(path: str) -> str:
    return path.replace("{partner}", "USA")


def judge(response, path: str) -> None:
    """200, or a 4xx in the face of the route: one-line problem+json (API) or the error page."""
    assert response.status_code < 500, (path, response.status_code, response.text[:300])
    if response.status_code < 400:
        return
    kind = response.headers["content-type"]
    if path.startswith("/api/"):
        assert kind.startswith(PROBLEM), (path, kind)
        body = response.json()
        assert body["status"] == response.status_code and "\n" not in body["detail"]
    else:
        assert kind.startswith("text/html"), (path, kind)
        assert 'class="problem"' in response.text


@pytest.fixture(scope="module")
def app(bundled_db: Path, tmp_path_factory):
    copy = tmp_path_factory.mktemp("bounds") / "store.duckdb"
    shutil.copy(bundled_db, copy)
    return create_app(copy, token=None)


@pytest.fixture(scope="module")
def client(app) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


# -- the one month range ----------------------------------------------------------------------

def test_the_query_range_is_1988_to_a_few_years_ahead():
    assert FIRST == Month(1988, 1) == limits.FIRST_QUERY_MONTH
    assert LAST == Month(Month.of(__import__("datetime").date.today()).year + limits.QUERY_YEARS_AHEAD, 12)
    assert params.query_month("1988-01") == FIRST and params.query_month(str(LAST)) == LAST
    assert params.query_month("  ") is None and params.query_month(None) is None


@pytest.mark.parametrize("far", FAR_MONTHS)
def test_a_far_month_is_one_parameter_error_stating_the_range(far):
    with pytest.raises(ParameterError) as info:
        params.query_month(far, "to")
    assert str(info.value) == f"parameter 'to': expected YYYY-MM {RANGE}, got {far!r}"


def test_days_are_held_to_the_same_months():
    assert params.query_day("2025-06-30", "as_of").isoformat() == "2025-06-30"
    assert params.query_day("2025-06", "from", months=True).isoformat() == "2025-06-01"
    for far in ("0001-01-01", "9999-12-31", f"{LAST.year + 1}-01-01", "1987-12-31", "2025-02-30"):
        with pytest.raises(ParameterError, match=f"parameter 'as_of': expected YYYY-MM-DD from "
                                                 f"{FIRST.first_day} to {LAST.last_day}"):
            params.query_day(far, "as_of")


def test_month_arithmetic_past_the_calendar_is_a_parameter_error():
    with pytest.raises(ParameterError, match="year 10000 is outside 1 to 9999"):
        Month(9999, 12) + 1
    with pytest.raises(ParameterError, match="year 0 is outside 1 to 9999"):
        Month(1, 1) - 1


MONTH_PARAMETERS = [("/api/v1/explain", "month"), ("/api/v1/monitor", "month"), ("/api/v1/risk", "month"),
                    ("/api/v1/flows", "period"), ("/api/v1/flows", "from"), ("/api/v1/flows", "to"),
                    ("/api/v1/claims", "period"), ("/api/v1/provenance", "period"),
                    ("/api/v1/mirror", "from"), ("/api/v1/mirror", "to"),
                    ("/", "month"), ("/risk", "month"), ("/provenance", "period")]


@pytest.mark.parametrize("path,name", MONTH_PARAMETERS, ids=[f"{p}-{n}" for p, n in MONTH_PARAMETERS])
def test_far_months_are_4xx_naming_the_parameter_and_the_range(client, path, name):
    for far in FAR_MONTHS:
        r = client.get(path, params={**NEEDED.get(path, {}), name: far})
        assert r.status_code == 400, (far, r.text[:300])
        if path.startswith("/api/"):
            body = r.json()
            assert r.headers["content-type"].startswith(PROBLEM) and body["parameter"] == name
            assert body["detail"] == f"parameter {name!r}: expected YYYY-MM {RANGE}, got {far!r}"
        else:
            assert r.headers["content-type"].startswith("text/html")
            assert f"parameter &#39;{name}&#39;: expected YYYY-MM {RANGE}" in r.text


DAY_PARAMETERS = [("/api/v1/flows", "as_of"), ("/api/v1/revisions", "since"), ("/api/v1/events", "from"),
                  ("/api/v1/events", "to"), ("/api/v1/event-study", "event"), ("/events", "from"),
                  ("/events/study", "event")]


@pytest.mark.parametrize("path,name", DAY_PARAMETERS, ids=[f"{p}-{n}" for p, n in DAY_PARAMETERS])
def test_far_days_are_4xx_naming_the_parameter_and_the_range(client, path, name):
    for far in ("0001-01-01", "9999-12-31", f"{LAST.year + 1}-01-01"):
        r = client.get(path, params={**NEEDED.get(path, {}), name: far})
        assert r.status_code == 400, (far, r.text[:300])
        words = f"from {FIRST.first_day} to {LAST.last_day}"
        text = r.json()["detail"] if path.startswith("/api/") else r.text.replace("&#39;", "'")
        assert f"parameter '{name}': expected YYYY-MM-DD" in text and words in text


def test_months_inside_the_range_still_answer(client):
    assert client.get("/api/v1/explain", params={"month": "2025-06"}).status_code == 200
    assert client.get("/api/v1/flows", params={"from": str(FIRST), "to": str(LAST)}).json()["total"] > 10
    assert client.get("/api/v1/events", params={"from": "2025-04"}).json()["total"] > 0
    assert client.get("/api/v1/monitor", params={"month": str(LAST)}).status_code == 404


# -- the web limits -----------------------------------------------------------------------------

def test_a_long_query_string_is_414_naming_the_limit(client):
    for path in ("/api/v1/flows", "/events"):
        r = client.get(path, params={"partner": "A" * (limits.MAX_QUERY_BYTES + 1)})
        assert r.status_code == 414, r.text[:200]
        limit = f"over the limit of {limits.MAX_QUERY_BYTES:,} bytes"
        assert limit in (r.json()["detail"] if path.startswith("/api/") else r.text)
    many = "&".join(["months=1"] * (limits.MAX_QUERY_PARAMETERS + 1))
    r = client.get(f"/api/v1/flows?{many}")
    assert r.status_code == 414 and r.json()["parameter"] == "query"
    assert r.json()["detail"] == (f"parameter 'query': {limits.MAX_QUERY_PARAMETERS + 1} parameters, "
                                  f"over the limit of {limits.MAX_QUERY_PARAMETERS}")
    assert client.get("/api/v1/flows?" + "&".join(["months=1"] * limits.MAX_QUERY_PARAMETERS)).status_code == 200


@pytest.mark.parametrize("query,parameter,bound", [
    ({"limit": limits.MAX_LIMIT + 1}, "limit", limits.MAX_LIMIT),
    ({"offset": limits.MAX_OFFSET + 1}, "offset", limits.MAX_OFFSET),
])
def test_page_sizes_are_refused_naming_their_bound(client, query, parameter, bound):
    r = client.get("/api/v1/flows", params=query)
    assert r.status_code == 422 and r.json()["parameter"] == parameter
    assert str(bound) in r.json()["detail"]


def test_explain_lookback_and_mirror_lag_bounds_are_the_routes_own(client):
    r = client.get("/api/v1/explain", params={"month": "2025-06", "lookback": limits.MAX_LOOKBACK + 1})
    assert r.status_code == 422 and str(limits.MAX_LOOKBACK) in r.json()["detail"]
    assert client.get("/api/v1/explain", params={"month": "2025-06",
                                                 "lookback": limits.MAX_LOOKBACK}).status_code == 200
    r = client.get("/api/v1/mirror", params={"partner": "USA", "lag": limits.MAX_LAG + 1})
    assert r.status_code == 422 and str(limits.MAX_LAG) in r.json()["detail"]


@pytest.mark.parametrize("query,words", [
    ({"seed": -1}, f"parameter &#39;seed&#39;: expected 0..{limits.MAX_SEED}, got -1"),
    ({"seed": limits.MAX_SEED + 1}, f"expected 0..{limits.MAX_SEED}"),
    ({"paths": 0}, f"parameter &#39;paths&#39;: expected 1..{limits.MAX_SCENARIO_PATHS}, got 0"),
    ({"paths": "many"}, "parameter &#39;paths&#39;"),
])
def test_the_risk_page_refuses_scenario_bounds_on_its_error_page(client, query, words):
    r = client.get("/risk", params=query)
    assert 400 <= r.status_code < 500 and r.headers["content-type"].startswith("text/html")
    assert words in r.text


def test_a_page_parameter_of_the_wrong_type_is_the_error_page_not_json(client):
    r = client.get("/events/study")                     # the event is required
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert "parameter &#39;event&#39;" in r.text
    api = client.get("/api/v1/event-study")
    assert api.status_code == 422 and api.headers["content-type"].startswith(PROBLEM)


def test_a_method_not_allowed_lists_every_method_of_the_path(client):
    r = client.request("OPTIONS", "/api/v1/events")
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"
    assert client.delete("/api/v1/flows").headers["allow"] == "GET"


def test_a_body_that_is_not_json_is_refused_naming_the_body(client):
    r = client.post("/api/v1/check", content=b"\xff\x00", headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500 and r.json()["parameter"] == "body"
    assert r.json()["detail"].startswith("parameter 'body': ")


def test_an_upload_over_the_limit_names_it(bundled_db, tmp_path):
    copy = tmp_path / "store.duckdb"
    shutil.copy(bundled_db, copy)
    writer = TestClient(create_app(copy, token="t", max_upload_bytes=1024), raise_server_exceptions=False)
    body = b"reporter,partner\n" + b"x" * (limits.MULTIPART_ALLOWANCE_BYTES + 2048)
    r = writer.post("/api/v1/import", headers={"Authorization": "Bearer t"},
                    files={"file": ("big.csv", body, "text/csv")})
    assert r.status_code == 413 and r.json()["detail"] == ("parameter 'file': larger than the "
                                                           "limit of 1,024 bytes")
    assert limits.DEFAULT_MAX_UPLOAD_BYTES == 50 * 1024 * 1024


# -- every route, every parameter, extreme values -------------------------------------------------

def test_the_route_list_comes_from_the_app(app):
    paths = {p for p, _ in get_routes(app)}
    assert {"/api/v1/explain", "/api/v1/monitor", "/api/v1/flows", "/api/v1/risk", "/api/v1/mirror",
            "/", "/risk", "/partner/{partner}", "/events/study", "/healthz"} <= paths
    assert sum(len(q) for _, q in get_routes(app)) >= 80
    types = dict(next(q for p, q in get_routes(app) if p == "/api/v1/flows"))
    assert values_for(types["limit"]) == EXTREME_NUMBER and values_for(types["from"]) == EXTREME_TEXT


def sweep(app, client, every_value: bool = False) -> int:
    """Each GET route with its needed parameters, then each parameter with extreme values."""
    tried = 0
    for path, names in get_routes(app):
        base = NEEDED.get(path, {})
        judge(client.get(url_for(path), params=base), path)
        for name, annotation in names:
            for value in EXTREME if every_value else values_for(annotation):
                judge(client.get(url_for(path), params={**base, name: value}), path)
                tried += 1
    return tried


def test_every_route_and_parameter_answers_below_500_for_extreme_values(app, client):
    assert sweep(app, client) >= 80 * len(EXTREME_NUMBER)


@pytest.mark.slow
def test_every_route_and_parameter_answers_below_500_for_every_extreme_value(app, client):
    assert sweep(app, client, every_value=True) >= 80 * len(EXTREME)


# -- a store holding odd figures ------------------------------------------------------------------

@pytest.fixture(scope="module")
def odd(odd_db: Path, tmp_path_factory):
    """An app over a copy of the store with NaN and infinite figures (tests/web/conftest.py)."""
    copy = tmp_path_factory.mktemp("odd-bounds") / "store.duckdb"
    shutil.copy(odd_db, copy)
    app = create_app(copy, token=None)
    return app, TestClient(app, raise_server_exceptions=False)


def _strict_json(response) -> dict:
    """The body parsed as strict JSON: NaN or Infinity in it fails."""
    import json

    def refuse(word):
        raise AssertionError(f"{word} in {response.url}")
    return json.loads(response.text, parse_constant=refuse)


def test_the_odd_store_holds_what_it_says(odd_db):
    import duckdb

    con = duckdb.connect(str(odd_db), read_only=True)
    odd_rows = con.execute("SELECT count(*) FROM observation_latest WHERE NOT isfinite(net_weight_kg) "
                           "OR NOT isfinite(value_usd)").fetchone()[0]
    odd_claims = con.execute("SELECT count(*) FROM claim_latest WHERE NOT isfinite(value)").fetchone()[0]
    con.close()
    assert (odd_rows, odd_claims) == (4, 2)


def test_every_route_answers_below_500_on_odd_figures(odd):
    app, client = odd
    for path, names in get_routes(app):
        judge(client.get(url_for(path), params=NEEDED.get(path, {})), path)
    for path, query in [("/api/v1/monitor", {"month": "2025-06"}), ("/api/v1/monitor", {"format": "csv",
                        "month": "2025-06"}), ("/api/v1/explain", {"month": "2025-06", "partner": "HKG"}),
                        ("/api/v1/explain", {"month": "2025-06", "partner": "VNM"}),
                        ("/api/v1/event-study", {"event": "ev-2025-04-04", "partner": "VNM"}),
                        ("/api/v1/risk", {"month": "2025-06"}), ("/api/v1/mirror", {"partner": "VNM"}),
                        ("/", {"month": "2025-06"}), ("/partner/VNM", {}), ("/partner/HKG", {}),
                        ("/risk", {"month": "2025-06"}), ("/provenance", {"partner": "HKG", "period": "2025-06"})]:
        r = client.get(path, params=query)
        assert r.status_code == 200, (path, query, r.text[:300])
        if "json" in r.headers["content-type"]:
            _strict_json(r)


def test_the_monitor_leaves_odd_figures_out_and_says_so(odd):
    _, client = odd
    result = _strict_json(client.get("/api/v1/monitor", params={"month": "2025-06"}))
    notes = [n for n in result["notes"] if "not a usable figure" in n]
    assert [n.split(":")[0] for n in notes] == ["HKG 2025-06", "ITA 2025-06", "VNM 2025-06"]
    assert "net_weight_kg nan (china_magnet_exports_monthly.csv row" in notes[0]
    assert "value inf, value_usd -inf" in notes[1]
    partners = {p["partner"]: p for p in result["partners"]}
    for code in ("HKG", "ITA"):
        assert partners[code]["net_weight_t"] is None and partners[code]["rank"] is None
    assert partners["VNM"]["basis"]["rank"].startswith("as reported by")      # the source's, not ours
    ranked = sorted((p["rank"], p["partner"]) for p in result["partners"]
                    if p["basis"].get("rank", "").startswith("computed"))
    assert ranked == [(1, "DEU"), (2, "USA"), (3, "KOR"), (4, "IND"), (5, "JPN")]
    conc = result["concentration"]
    assert conc["partners_with_data"] == 5 and 0 < conc["hhi_min"] <= conc["hhi_max"] <= 10_000
    assert "nan" not in conc["basis"]
    assert result["world"]["yoy_pct"] == -38.1                  # the NaN claim is no claim


def test_tables_flag_each_odd_figure_shown_as_null(odd):
    _, client = odd
    body = _strict_json(client.get("/api/v1/flows", params={"period": "2025-06"}))
    rows = {r["partner"]: r for r in body["rows"]}
    assert rows["HKG"]["net_weight_t"] is None and rows["VNM"]["net_weight_t"] is None
    assert sorted(n.split(": ", 1)[1] for n in body["notes"]) == sorted([
        "value is inf in the store, not a usable figure; shown as null",
        "value_usd is -inf in the store, not a usable figure; shown as null",
        "net_weight_t is nan in the store, not a usable figure; shown as null",
        "net_weight_t is inf in the store, not a usable figure; shown as null"])
    assert any(n.startswith(f"row {list(rows).index('HKG') + 1} (HKG 2025-06)") for n in body["notes"])
    plain = _strict_json(client.get("/api/v1/flows", params={"period": "2025-05"}))
    assert "notes" not in plain                          # a page without odd figures is unchanged
    claims = _strict_json(client.get("/api/v1/claims", params={"partner": "WLD", "period": "2025-06"}))
    assert any("(WLD 2025-06 yoy_pct): value is nan" in n for n in claims["notes"])
    prov = _strict_json(client.get("/api/v1/provenance", params={"partner": "HKG", "period": "2025-06"}))
    assert prov["notes"] == ["observation row 1 (HKG 2025-06): net_weight_t is nan in the store, "
                             "not a usable figure; shown as null"]


def test_the_mirror_reads_an_odd_import_as_no_figure_and_says_so(odd):
    _, client = odd
    body = _strict_json(client.get("/api/v1/mirror", params={"partner": "USA"}))
    august = next(m for m in body["months"] if m["period"] == "2025-08")
    assert august["import_t"] is None and august["status"] == "no partner figure"
    assert body["notes"] == ["USA CHN M 2025-08: the store holds net_weight_kg inf (us_imports.csv "
                             "row 2), not a usable figure; read as no figure (no rank, share or sum "
                             "counts it)"]
    june = next(m for m in body["months"] if m["period"] == "2025-06")
    assert (june["export_t"], june["import_t"]) == (353.0, 300.0)


def test_risk_and_audit_leave_odd_figures_out(odd, client):
    _, odd_client = odd
    risk = _strict_json(odd_client.get("/api/v1/risk", params={"month": "2025-06"}))
    shares = {r["partner"]: r for r in risk["exports_by_partner"]}
    assert "VNM" not in shares and "HKG" not in shares and shares["DEU"]["net_weight_t"] == 764.0
    odd_audit = _strict_json(odd_client.get("/api/v1/audit"))
    plain_audit = client.get("/api/v1/audit").json()
    assert odd_audit["total"] == plain_audit["total"]          # the NaN and infinite claims are none


@pytest.mark.parametrize("path", ["/partner/HKG", "/partner/VNM", "/?month=2025-06"])
def test_a_page_shows_an_odd_figure_as_not_usable_never_nan(odd, path):
    _, client = odd
    text = re.sub(r"<script.*?</script>", "", client.get(path).text, flags=re.S)
    assert not re.search(r"\b(?:nan|inf|-inf)(?: t|%)", text)
    if path != "/?month=2025-06":
        assert "not a usable figure" in text
