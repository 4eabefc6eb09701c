"""The OpenAPI document: valid 3.1, and the same endpoints, roles and models as the route table."""
from __future__ import annotations

import re

from openapi_spec_validator import validate

from console.web.apiroutes import TABLE
from console.web.openapi import openapi_path


def operations(document: dict) -> dict[tuple[str, str], dict]:
    return {(method.upper(), path): op for path, item in document["paths"].items() for method, op in item.items()}


def test_it_serves_a_valid_openapi_3_1_document_without_credentials(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json["openapi"] == "3.1.0"
    validate(response.json)


def test_it_documents_exactly_the_route_table(client):
    documented = operations(client.get("/api/v1/openapi.json").json)
    assert set(documented) == {(r.method, openapi_path(r.path)) for r in TABLE}
    for route in TABLE:
        op = documented[(route.method, openapi_path(route.path))]
        assert op.get("x-required-role") == route.role
        assert op["security"] == security(route)
        assert str(route.status) in op["responses"]


def security(route) -> list[dict]:
    """What the operation of ``route`` should say it needs."""
    if route.token is not None:
        return [{"sharedToken": []}]
    return [] if route.public else [{"bearerAuth": []}, {"sessionCookie": []}]


def test_it_documents_the_webhook_as_taking_a_shared_token_and_a_size_limit(client):
    webhook = operations(client.get("/api/v1/openapi.json").json)[("POST", "/api/v1/alertmanager/webhook")]
    assert webhook["x-token-setting"] == "ALERTMANAGER_TOKEN"
    assert {"400", "401", "413"} <= set(webhook["responses"]) and "403" not in webhook["responses"]


def test_it_documents_the_error_envelope_for_refusals(client):
    document = client.get("/api/v1/openapi.json").json
    envelope = document["components"]["schemas"]["ErrorEnvelope"]
    assert set(envelope["required"]) == {"error", "detail"}
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "An API token (opsconsole token create)."}
    create_user = operations(document)[("POST", "/api/v1/users")]
    for status in ("400", "401", "403", "409", "422"):
        schema = create_user["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}


def test_it_hoists_every_model_into_components(client):
    text = client.get("/api/v1/openapi.json").get_data(as_text=True)
    document = client.get("/api/v1/openapi.json").json
    assert "$defs" not in text
    for ref in set(re.findall(r'"\$ref": ?"#/components/schemas/([^"]+)"', text)):
        assert ref in document["components"]["schemas"]


def test_it_marks_passwords_write_only(client):
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    assert schemas["UserCreate"]["properties"]["password"]["writeOnly"] is True
    assert "password" not in schemas["UserOut"]["properties"]


def test_it_describes_path_and_query_parameters(client):
    documented = operations(client.get("/api/v1/openapi.json").json)
    revoke = documented[("DELETE", "/api/v1/tokens/{token_id}")]
    assert revoke["parameters"] == [{"name": "token_id", "in": "path", "required": True,
                                     "schema": {"type": "integer", "minimum": 0}}]
    audit = {p["name"]: p for p in documented[("GET", "/api/v1/audit")]["parameters"]}
    assert set(audit) == {"limit", "before_id", "actor", "action", "target", "result"}
    assert audit["limit"]["schema"]["maximum"] == 500 and audit["result"]["schema"]["anyOf"][0]["pattern"] == "^[a-z_]+$"


def test_it_renders_the_document_as_a_browsable_page(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for route in TABLE:
        assert openapi_path(route.path) in page
    assert 'id="schema-TokenCreated"' in page and "<strong class=\"role\">admin</strong>" in page
    assert "cdn" not in page.lower()
