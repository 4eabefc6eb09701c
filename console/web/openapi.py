"""The OpenAPI 3.1 document of ``/api/v1``, generated from the route table and its pydantic models.

Nothing here is written by hand per endpoint, so the document cannot drift from the code:
paths, parameters, bodies, responses, roles and security all come from ``apiroutes.TABLE``.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from console.web.apiroutes import ErrorEnvelope, Route

REF = "#/components/schemas/{model}"
RULE_ARG = re.compile(r"<(?:(\w+):)?(\w+)>")
# Flask converters to the schema of the path parameter they accept
CONVERTERS = {"int": {"type": "integer", "minimum": 0}, "string": {"type": "string"}, None: {"type": "string"}}
ERROR_TEXT = {
    400: "Malformed request (for example a body that is not JSON).",
    401: "No credentials, or an unknown, expired or revoked token.",
    403: "The caller's role is too low, a browser session sent no valid X-CSRFToken, or the endpoint refused the "
         "caller (its error names why).",
    404: "No such resource.",
    409: "Conflicts with existing state.",
    413: "The body is larger than the endpoint takes.",
    422: "The body or the query failed validation; detail lists pydantic's errors.",
    429: "Too many failed attempts; Retry-After says in how many seconds to try again.",
    502: "A backend answered with an error.",
    503: "A backend could not be reached.",
}


def openapi_path(rule: str) -> str:
    """A Flask rule such as ``/tokens/<int:token_id>`` in OpenAPI form, ``/tokens/{token_id}``."""
    return RULE_ARG.sub(lambda m: "{" + m.group(2) + "}", rule)


def build_document(routes: Iterable[Route], *, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document describing ``routes``."""
    return _build(tuple(routes), version)


@functools.cache
def _build(routes: tuple[Route, ...], version: str) -> dict[str, Any]:
    refs, schemas = _schemas(routes)
    paths: dict[str, dict[str, Any]] = {}
    for spec in routes:
        paths.setdefault(openapi_path(spec.path), {})[spec.method.lower()] = _operation(spec, refs, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "opsconsole API",
            "version": version,
            "description": "Send `Authorization: Bearer <token>`; each operation's `x-required-role` "
                           "names the least role it needs (viewer < operator < admin).",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "An API token (opsconsole token create)."},
                "sharedToken": {"type": "http", "scheme": "bearer",
                                "description": "A machine caller's token from the console's settings "
                                               "(x-token-setting names which), never a user's token."},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session",
                                  "description": "A browser login; mutating calls also need the X-CSRFToken header."},
            },
        },
    }


def _schemas(routes: tuple[Route, ...]) -> tuple[dict, dict]:
    wanted: list[tuple[type[BaseModel], str]] = [(ErrorEnvelope, "serialization")]
    for spec in routes:
        wanted += [(m, "validation") for m in (spec.body, spec.query) if m is not None]
        if spec.response is not None:
            wanted.append((spec.response, "serialization"))
    # one pass over every model, so a model used both ways gets distinct -Input/-Output names
    refs, top = models_json_schema(list(dict.fromkeys(wanted)), ref_template=REF)
    return refs, top.get("$defs", {})


def _operation(spec: Route, refs: dict, schemas: dict) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": spec.action,
        "summary": spec.summary,
        "tags": list(spec.tags),
        "parameters": _path_parameters(spec.path) + _query_parameters(spec, refs, schemas),
        "responses": {str(spec.status): _success(spec, refs)},
    }
    if spec.token is not None:
        op["security"] = [{"sharedToken": []}]
        op["x-token-setting"] = spec.token
    elif spec.public:
        op["security"] = []
    else:
        op["security"] = [{"bearerAuth": []}, {"sessionCookie": []}]
        op["x-required-role"] = spec.role
    if spec.body is not None:
        schema = refs[(spec.body, "validation")]
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    for status in _error_statuses(spec):
        op["responses"][str(status)] = {
            "description": ERROR_TEXT[status],
            "content": {"application/json": {"schema": refs[(ErrorEnvelope, "serialization")]}},
        }
    return op


def _success(spec: Route, refs: dict) -> dict[str, Any]:
    if spec.media_type != "application/json":
        return {"description": spec.summary, "content": {spec.media_type: {"schema": {"type": "string"}}}}
    if spec.response is None:
        return {"description": spec.summary}
    return {"description": spec.summary,
            "content": {"application/json": {"schema": refs[(spec.response, "serialization")]}}}


def _error_statuses(spec: Route) -> list[int]:
    statuses = set(spec.errors)
    if spec.token is not None:
        statuses.add(401)
    elif not spec.public:
        statuses |= {401, 403}
    if spec.max_bytes is not None:
        statuses.add(413)
    if spec.body is not None:
        statuses |= {400, 422}
    if spec.query is not None:
        statuses.add(422)
    if RULE_ARG.search(spec.path):
        statuses.add(404)
    return sorted(statuses)


def _path_parameters(rule: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": dict(CONVERTERS.get(conv, CONVERTERS[None]))}
            for conv, name in RULE_ARG.findall(rule)]


def _query_parameters(spec: Route, refs: dict, schemas: dict) -> list[dict[str, Any]]:
    if spec.query is None:
        return []
    name = refs[(spec.query, "validation")]["$ref"].rsplit("/", 1)[-1]
    model = schemas[name]
    required = set(model.get("required", ()))
    return [{"name": field, "in": "query", "required": field in required, "schema": schema}
            for field, schema in model.get("properties", {}).items()]
