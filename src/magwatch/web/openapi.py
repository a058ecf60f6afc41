"""The OpenAPI document, made to say what the routes really answer.

FastAPI's generated schema describes every error as ``application/json`` and a
422 as its own ``HTTPValidationError``; magwatch answers every error as
``application/problem+json`` (see :mod:`magwatch.web.problems`). The routes also
build their own responses, so FastAPI cannot see that a table comes as a paged
envelope, that ``format=csv`` answers ``text/csv``, or that a write endpoint
answers 200 when nothing new was stored. :func:`document` rewrites those parts
of the schema once, so a client (or a schema fuzzer) can hold the server to it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from magwatch.web.problems import PROBLEM_TYPE

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PAGE_REF = {"$ref": "#/components/schemas/Page"}

#: RFC 9457 problem details as magwatch writes them (``parameter`` or ``file``/``row``/``field``).
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "minLength": 1},
        "instance": {"type": "string"},
        "parameter": {"type": "string", "description": "The offending parameter"},
        "file": {"type": "string", "description": "The refused file"},
        "row": {"type": "integer", "description": "The refused row of that file"},
        "field": {"type": "string", "description": "The refused field of that row"},
    },
}

#: A page of a table result.
PAGE_SCHEMA: dict[str, Any] = {
    "title": "Page",
    "type": "object",
    "required": ["total", "limit", "offset", "next", "rows"],
    "properties": {
        "total": {"type": "integer", "minimum": 0, "description": "Rows in the whole result"},
        "limit": {"type": "integer", "minimum": 1},
        "offset": {"type": "integer", "minimum": 0},
        "next": {"anyOf": [{"type": "string"}, {"type": "null"}],
                 "description": "URL of the following page, or null on the last"},
        "rows": {"type": "array", "items": {"type": "object"}},
    },
}

#: Write endpoints answer 200 (not 201) when nothing new was stored.
NOTHING_NEW = {
    ("/api/v1/events", "post"): "The event is already in the registry; nothing was added",
    ("/api/v1/import", "post"): "The same file was imported before; skipped, nothing was added",
}

ERROR_DESCRIPTIONS = {
    "401": "Token missing or wrong",
    "403": "Writing is off (no MAGWATCH_TOKEN)",
    "422": "A parameter the route's own types refuse (problem+json naming it)",
}


def _problem_response(description: str) -> dict:
    return {"description": description, "content": {PROBLEM_TYPE: {"schema": PROBLEM_REF}}}


def _query_names(operation: dict) -> set[str]:
    return {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "query"}


def rewrite(schema: dict) -> dict:
    """The generated schema with problem+json errors, paged envelopes, CSV and 200-on-repeat."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    components["Page"] = PAGE_SCHEMA
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            for code in list(responses):
                if code[:1] in "45":
                    description = ERROR_DESCRIPTIONS.get(code, responses[code].get("description", ""))
                    responses[code] = _problem_response(description)
            names = _query_names(operation)
            ok = responses.get("200")
            if ok is not None and {"limit", "offset"} <= names:
                ok.setdefault("content", {})["application/json"] = {"schema": PAGE_REF}
            if ok is not None and "format" in names:
                ok.setdefault("content", {})["text/csv"] = {"schema": {"type": "string"}}
            if (path, method) in NOTHING_NEW:
                responses["200"] = {"description": NOTHING_NEW[path, method],
                                    "content": {"application/json": {"schema": {"type": "object"}}}}
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def document(app: FastAPI) -> None:
    """Serve :func:`rewrite` of the generated schema at the app's OpenAPI URL (built once)."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = rewrite(get_openapi(
                title=app.title, version=app.version, description=app.description,
                routes=app.routes, openapi_version=app.openapi_version))
        return app.openapi_schema

    app.openapi = openapi


__all__ = ["document", "rewrite", "PROBLEM_SCHEMA", "PAGE_SCHEMA"]
