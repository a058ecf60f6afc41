"""Fuzz the REST API from its own OpenAPI schema (schemathesis): no 5xx, no schema violations.

Schemathesis generates valid and invalid requests for every operation in
``/openapi.json`` and sends them to the ASGI app in-process, and every response goes
through all of schemathesis' checks (its default set: not a server error, status code,
content type, headers and body schema conformance, valid data accepted, invalid data
rejected, and the rest), plus one of magwatch's own: a refusal is one line and names
the parameter it refuses. Every error is ``application/problem+json``; table routes
answer the paged envelope.

"Valid data accepted" is told one thing the schema cannot say: a 400 naming a parameter
is an accepted answer to schema-valid data, because magwatch's own rules (known country
and commodity codes, the month range of ``magwatch.params.query_months``, source names)
refuse values a plain string type allows (docs/api.md, Errors).

Three apps: one read-only with writing off over a copy of the bundled store (every
operation; the write endpoints must answer 403), one with a bearer token for the write
endpoints (POST /events, POST /import), so invalid bodies reach validation and
ingestion, and one read-only over a store holding NaN and infinite figures
(``tests/web/conftest.py``), fuzzing the routes that read figures. The default run is
bounded (a few examples per operation); ``-m slow`` runs many more.

The schema is loaded when this module is imported (schemathesis parametrizes at
collection time), so each app is built over a store path that the module-scoped
fixture fills with a copy of its store before the first request; loading the
schema never touches the store.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
import warnings
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config._checks import PositiveDataAcceptanceConfig

from magwatch.web.app import create_app

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TOKEN = "fuzz-token"
_ROOT = Path(tempfile.gettempdir()) / f"magwatch-schema-fuzz-{uuid.uuid4().hex}"
READ_DB = _ROOT / "read" / "store.duckdb"
WRITE_DB = _ROOT / "write" / "store.duckdb"
ODD_DB = _ROOT / "odd" / "store.duckdb"
for _db in (READ_DB, WRITE_DB, ODD_DB):     # a store path must be in an existing folder
    _db.parent.mkdir(parents=True, exist_ok=True)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    READ_APP = create_app(READ_DB, token=None)
    WRITE_APP = create_app(WRITE_DB, token=TOKEN, max_upload_bytes=64 * 1024)
    read_schema = schemathesis.openapi.from_asgi("/openapi.json", READ_APP)
    write_schema = schemathesis.openapi.from_asgi("/openapi.json", WRITE_APP).include(method="POST") \
        .include(path_regex=r"^/api/v1/(events|import)$")
    ODD_APP = create_app(ODD_DB, token=None)
    odd_schema = schemathesis.openapi.from_asgi("/openapi.json", ODD_APP).include(method="GET") \
        .include(path_regex=r"^/api/v1/(flows|claims|provenance|monitor|audit|event-study|explain"
                            r"|mirror|risk)$")

#: Statuses "valid data accepted" takes (schemathesis' default, with 400: see the module docstring).
ACCEPTED = ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
for _schema in (read_schema, write_schema, odd_schema):
    _schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(expected_statuses=ACCEPTED)


def refusal_is_one_line_naming_its_parameter(ctx, response, case) -> None:
    """magwatch's own check: a 4xx problem is one line; a 400 names the parameter (or the
    file) it refuses, in the ``parameter`` member and in the detail."""
    if not 400 <= response.status_code < 500:
        return None
    body = response.json()
    assert "\n" not in body["detail"], body
    if response.status_code == 400:
        named = body.get("parameter") or body.get("file")
        assert named and (named in body["detail"]), body
    return None


FAST = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
ODD = settings(max_examples=6, deadline=None, derandomize=True, database=None,
               suppress_health_check=list(HealthCheck))
SLOW = settings(max_examples=200, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module", autouse=True)
def fuzz_stores(bundled_db: Path, odd_db: Path):
    """Copies of the bundled store and of the odd one at the paths the apps were built over."""
    for db, source in ((READ_DB, bundled_db), (WRITE_DB, bundled_db), (ODD_DB, odd_db)):
        db.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, db)
    yield
    shutil.rmtree(_ROOT, ignore_errors=True)


def _validate(case):
    """Send the case and run every check schemathesis has, and magwatch's own."""
    return case.call_and_validate(additional_checks=[refusal_is_one_line_naming_its_parameter])


def _auth(case) -> None:
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {TOKEN}"}


@read_schema.parametrize()
@FAST
def test_every_operation_answers_within_its_schema(case):
    _validate(case)


@write_schema.parametrize()
@FAST
def test_write_operations_with_token_answer_within_their_schema(case):
    _auth(case)
    response = _validate(case)
    assert response.status_code not in (401, 403), response.text


@pytest.mark.slow
@read_schema.parametrize()
@SLOW
def test_every_operation_answers_within_its_schema_long(case):
    _validate(case)


@pytest.mark.slow
@write_schema.parametrize()
@SLOW
def test_write_operations_with_token_answer_within_their_schema_long(case):
    _auth(case)
    response = _validate(case)
    assert response.status_code not in (401, 403), response.text


@odd_schema.parametrize()
@ODD
def test_routes_reading_odd_figures_answer_within_their_schema(case):
    response = _validate(case)
    kind = response.headers.get("content-type") or [""]
    if (kind[0] if isinstance(kind, list) else kind).startswith("application/json"):
        json.loads(response.text, parse_constant=lambda word: pytest.fail(f"{word} in the body"))


def test_the_schema_declares_problem_json_for_every_error():
    """The fuzzing above is only as strict as the schema: every error status is problem+json."""
    document = READ_APP.openapi()
    seen = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for code, response in operation["responses"].items():
                if code[:1] in "45":
                    seen += 1
                    assert list(response["content"]) == ["application/problem+json"], (method, path, code)
    assert seen > 20
    assert "HTTPValidationError" not in document["components"]["schemas"]
    flows_ok = document["paths"]["/api/v1/flows"]["get"]["responses"]["200"]["content"]
    assert flows_ok["application/json"]["schema"] == {"$ref": "#/components/schemas/Page"}
    assert "text/csv" in flows_ok
