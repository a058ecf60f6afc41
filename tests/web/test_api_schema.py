"""Fuzz the REST API from its own OpenAPI schema (schemathesis): no 5xx, no schema violations.

Schemathesis generates valid and invalid requests for every operation in
``/openapi.json`` and sends them to the ASGI app in-process. Each response must
not be a server error, must carry a status and a content type the schema
declares for that operation, and must match the declared body schema (every
error is ``application/problem+json``; table routes answer the paged envelope).

Two apps, each over its own copy of the bundled store: one read-only with writing
off (every operation; the write endpoints must answer 403), one with a bearer
token for the write endpoints (POST /events, POST /import), so invalid bodies
reach validation and ingestion. The default run is bounded (a few examples per
operation); ``-m slow`` runs many more.

The schema is loaded when this module is imported (schemathesis parametrizes at
collection time), so each app is built over a store path that the module-scoped
fixture fills with a copy of ``bundled_db`` before the first request; loading the
schema never touches the store.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
import warnings
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from magwatch.web.app import create_app  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TOKEN = "fuzz-token"
_ROOT = Path(tempfile.gettempdir()) / f"magwatch-schema-fuzz-{uuid.uuid4().hex}"
READ_DB = _ROOT / "read" / "store.duckdb"
WRITE_DB = _ROOT / "write" / "store.duckdb"
for _db in (READ_DB, WRITE_DB):     # a store path must be in an existing folder
    _db.parent.mkdir(parents=True, exist_ok=True)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    READ_APP = create_app(READ_DB, token=None)
    WRITE_APP = create_app(WRITE_DB, token=TOKEN, max_upload_bytes=64 * 1024)
    read_schema = schemathesis.openapi.from_asgi("/openapi.json", READ_APP)
    write_schema = schemathesis.openapi.from_asgi("/openapi.json", WRITE_APP).include(method="POST") \
        .include(path_regex=r"^/api/v1/(events|import)$")

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
FAST = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
SLOW = settings(max_examples=200, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module", autouse=True)
def fuzz_stores(bundled_db: Path):
    """Copies of the bundled store at the paths the two apps were built over."""
    for db in (READ_DB, WRITE_DB):
        db.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(bundled_db, db)
    yield
    shutil.rmtree(_ROOT, ignore_errors=True)


def _auth(case) -> None:
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {TOKEN}"}


@read_schema.parametrize()
@FAST
def test_every_operation_answers_within_its_schema(case):
    case.call_and_validate(checks=CHECKS)


@write_schema.parametrize()
@FAST
def test_write_operations_with_token_answer_within_their_schema(case):
    _auth(case)
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code not in (401, 403), response.text


@pytest.mark.slow
@read_schema.parametrize()
@SLOW
def test_every_operation_answers_within_its_schema_long(case):
    case.call_and_validate(checks=CHECKS)


@pytest.mark.slow
@write_schema.parametrize()
@SLOW
def test_write_operations_with_token_answer_within_their_schema_long(case):
    _auth(case)
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code not in (401, 403), response.text


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
