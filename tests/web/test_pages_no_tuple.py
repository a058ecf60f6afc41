"""No Python tuple written as text anywhere a reader looks: a numeric pair such as
``(0.58, 0.93)`` (what ``str()`` makes of a tuple) in a page's table cells, an API answer's
string fields or the CLI's JSON, beside the string tuples and object reprs that
test_web_pages.py looks for."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from magwatch.web.app import create_app

#: A tuple or list of numbers printed by Python: "(0.58, 0.93)", "[3.0, 4.0]"
NUMBER_TUPLE = re.compile(r"[(\[]-?\d+(?:\.\d+)?(?:, -?\d+(?:\.\d+)?)+[)\]]")
#: A string tuple, an object repr, a Decimal or a numpy scalar
REPR = re.compile(r"\('[^']*',|<\w[\w.]* object at 0x|\b(?:Decimal|datetime\.date|np\.float\d*)\(")


def _strings(value, path="$"):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


def _tuples(value) -> list[tuple[str, str]]:
    return [(path, text) for path, text in _strings(value) if NUMBER_TUPLE.search(text) or REPR.search(text)]


@pytest.fixture(scope="module")
def client(bundled_db: Path, tmp_path_factory) -> TestClient:
    copy = tmp_path_factory.mktemp("notuple") / "store.duckdb"
    shutil.copy(bundled_db, copy)
    return TestClient(create_app(copy, token=None), raise_server_exceptions=False)


def test_the_pattern_finds_a_printed_tuple():
    assert NUMBER_TUPLE.search(str((0.58, 0.93))) and NUMBER_TUPLE.search(str([3.0, 4.0]))
    assert not NUMBER_TUPLE.search("0.58 to 0.93 (row 75), May -81% m/m (P10–P90 0.9–1.5)")


@pytest.mark.parametrize("url", ["/risk", "/risk?scenario=full-stop-6m&paths=300",
                                 "/risk?scenario=partial-licence&paths=300"])
def test_risk_page_cells_hold_no_tuple(client, url):
    from tests.web.test_web_pages import visible

    page = client.get(url)
    assert page.status_code == 200, page.text[:300]
    cells = visible(page.text).cells
    assert any("Share withheld, United States" == c for c in cells)
    assert [c for c in cells if NUMBER_TUPLE.search(c) or REPR.search(c)] == []


GET = ["/api/v1/monitor?month=2025-06", "/api/v1/risk?month=2025-06", "/api/v1/events",
       "/api/v1/flows?partner=USA", "/api/v1/claims", "/api/v1/audit?month=2025-06",
       "/api/v1/mirror?partner=USA", "/api/v1/scenarios", "/api/v1/info",
       "/api/v1/provenance?partner=USA&period=2025-06"]


@pytest.mark.parametrize("url", GET)
def test_no_printed_tuple_in_an_api_answer(client, url):
    r = client.get(url)
    assert r.status_code == 200, r.text[:300]
    assert _tuples(r.json()) == []


def test_no_printed_tuple_in_a_scenario_run(client):
    r = client.post("/api/v1/scenarios/run", json={"scenario": "repeat-2025-04", "paths": 100, "seed": 0})
    assert r.status_code == 200, r.text[:300]
    assert _tuples(r.json()) == []


def test_no_printed_tuple_in_the_cli_scenario_json(bundled_db, cli):
    done = cli(bundled_db, "scenario", "run", "repeat-2025-04", "--paths", "100", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert _tuples(json.loads(done.stdout)) == []
