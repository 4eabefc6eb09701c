"""``POST /api/v1/scale``, ``GET /api/v1/scale/<target>``, ``GET /api/v1/scale/events``."""
from __future__ import annotations

import pytest

from console import auth, store

BODY = {"target": "gateway", "replicas": 3, "reason": "expected spike"}


def test_it_scales_and_records_who_why_and_the_override(client, headers, memory):
    response = client.post("/api/v1/scale", json=BODY, headers=headers["operator"])
    assert response.status_code == 200, response.json
    assert response.json | {"id": 0, "at": None, "detail": None} == {
        "id": 0, "at": None, "target": "gateway", "actor": "token:operator", "kind": "manual", "from_replicas": 1,
        "to_replicas": 3, "reason": "expected spike", "dry_run": False, "result": "applied", "values": None,
        "detail": None}
    assert memory.calls == [("gateway", 3)]
    state = client.get("/api/v1/scale/gateway", headers=headers["viewer"]).json
    assert (state["current"], state["desired"], state["override"]["replicas"]) == (3, 3, 3)
    assert state["last_decision"]["id"] == response.json["id"]


def test_it_changes_nothing_on_a_dry_run_and_records_it_as_one(client, headers, memory):
    response = client.post("/api/v1/scale", json={**BODY, "dry_run": True}, headers=headers["operator"])
    assert (response.status_code, response.json["result"], response.json["dry_run"]) == (200, "dry_run", True)
    assert memory.calls == []
    events = client.get("/api/v1/scale/events?target=gateway", headers=headers["viewer"]).json["items"]
    assert [(e["result"], e["dry_run"]) for e in events] == [("dry_run", True)]
    assert client.get("/api/v1/scale/gateway", headers=headers["viewer"]).json["override"] is None


def test_it_acts_once_for_the_same_idempotency_key(client, headers, memory):
    key = {"Idempotency-Key": "deploy-42", **headers["operator"]}
    first = client.post("/api/v1/scale", json=BODY, headers=key)
    again = client.post("/api/v1/scale", json=BODY, headers=key)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json == first.json
    assert memory.calls == [("gateway", 3)]
    other = client.post("/api/v1/scale", json={**BODY, "replicas": 2}, headers=key)
    assert (other.status_code, other.json["error"]) == (409, "conflict")
    assert memory.calls == [("gateway", 3)]


@pytest.mark.parametrize(("role", "body", "status", "error"), [
    pytest.param("viewer", BODY, 403, "forbidden", id="viewer may not scale"),
    pytest.param("operator", {**BODY, "replicas": 9}, 422, "out_of_bounds", id="above maxReplicas"),
    pytest.param("operator", {**BODY, "replicas": 0}, 422, "out_of_bounds", id="below minReplicas"),
    pytest.param("operator", {**BODY, "target": "nosuch"}, 404, "not_found", id="unknown target"),
    pytest.param("operator", {**BODY, "replicas": "many"}, 422, "validation_failed", id="wrong type"),
    pytest.param("operator", {"target": "gateway"}, 422, "validation_failed", id="fields missing"),
])
def test_it_refuses(client, headers, memory, role, body, status, error):
    response = client.post("/api/v1/scale", json=body, headers=headers[role])
    assert (response.status_code, response.json["error"]) == (status, error)
    assert memory.calls == []


def test_it_answers_400_to_a_body_that_is_not_json(client, headers):
    response = client.post("/api/v1/scale", data="replicas=3", headers={**headers["operator"],
                                                                       "Content-Type": "application/json"})
    assert (response.status_code, response.json["error"]) == (400, "malformed_json")


def test_it_answers_404_for_the_state_of_an_unknown_target(client, headers):
    assert client.get("/api/v1/scale/nosuch", headers=headers["viewer"]).status_code == 404


def test_it_audits_every_scale(app, client, headers):
    client.post("/api/v1/scale", json=BODY, headers=headers["operator"])
    client.post("/api/v1/scale", json={**BODY, "replicas": 99}, headers=headers["operator"])
    with app.app_context():
        entries = auth.list_audit(store.session(), limit=10)
    assert [(e.action, e.target, e.result) for e in entries if e.action.startswith("scale.")] == [
        ("scale.scale", "scale:gateway", "out_of_bounds"), ("scale.scale", "scale:gateway", "ok")]
