"""``/api/v1/openapi.json`` and ``/api/v1/docs``: the API describing itself, from the route table.

Both are public: the document holds no secret and no data, only the shape of the API, and a
client (or schemathesis) must be able to read it before it holds a token.
"""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from flask import render_template
from pydantic import BaseModel, ConfigDict

from console.web.apiroutes import TABLE, area_blueprint, route
from console.web.openapi import build_document

bp = area_blueprint("docs")
METHOD_ORDER = ("get", "post", "put", "patch", "delete")


class OpenApiDocument(BaseModel):
    """An OpenAPI 3.1 document."""

    model_config = ConfigDict(extra="allow")

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


def document() -> dict[str, Any]:
    """This API's OpenAPI document."""
    try:
        release = version("opsconsole")
    except PackageNotFoundError:  # running from a checkout that was never pip-installed
        release = "0.0.0"
    return build_document(TABLE, version=release)


@route(bp, "GET", "/openapi.json", public=True, response=OpenApiDocument, summary="This OpenAPI 3.1 document")
def openapi_json():
    """The OpenAPI document, generated from the route table."""
    return document()


@route(bp, "GET", "/docs", public=True, media_type="text/html", summary="The API reference as a web page")
def docs():
    """A browsable rendering of the OpenAPI document, grouped by tag."""
    doc = document()
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in doc["paths"].items():
        for method in sorted(item, key=METHOD_ORDER.index):
            op = item[method]
            groups.setdefault(op["tags"][0], []).append(_operation_view(method, path, op))
    schemas = {name: _schema_view(schema) for name, schema in sorted(doc["components"]["schemas"].items())}
    return render_template("api/docs.html", doc=doc, groups=groups, schemas=schemas)


def type_of(schema: dict[str, Any] | bool) -> str:
    """A short human form of a JSON schema: ``TokenOut``, ``list[string]``, ``integer | null``."""
    if not isinstance(schema, dict):  # ``true``: anything goes
        return "any"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(type_of(s) for s in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(repr(v) for v in schema["enum"])
    if schema.get("type") == "array":
        return f"list[{type_of(schema.get('items', {}))}]"
    if schema.get("type") == "object" and "additionalProperties" in schema:
        return f"map[string, {type_of(schema['additionalProperties'])}]"
    kind = schema.get("type", "any")
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def _operation_view(method: str, path: str, op: dict[str, Any]) -> dict[str, Any]:
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    responses = []
    for status, answer in op["responses"].items():
        content = answer.get("content", {})
        kind = next(iter(content), None)
        responses.append({"status": status, "description": answer["description"],
                          "type": type_of(content[kind]["schema"]) if kind else "", "media_type": kind or ""})
    return {
        "id": op["operationId"], "method": method.upper(), "path": path, "summary": op["summary"],
        "role": op.get("x-required-role", "public"),
        "parameters": [{"name": p["name"], "in": p["in"], "required": p["required"], "type": type_of(p["schema"])}
                       for p in op["parameters"]],
        "body": type_of(body) if body else None,
        "responses": responses,
    }


def _schema_view(schema: dict[str, Any]) -> dict[str, Any]:
    required = set(schema.get("required", ()))
    fields = [{"name": name, "type": type_of(prop), "required": name in required,
               "description": prop.get("description", "")}
              for name, prop in schema.get("properties", {}).items()]
    return {"description": schema.get("description", ""), "fields": fields, "type": type_of(schema)}
