"""``/api/v1/incidents``: viewers read, operators acknowledge, resolve and annotate; the timeline keeps it all."""
from __future__ import annotations

import pytest

from alertkit import TOKEN
from payloads import alert, notification

WEBHOOK = "/api/v1/alertmanager/webhook"


@pytest.fixture
def client(oncall_app):
    return oncall_app.test_client()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def open_incident(client, group: str, severity: str = "critical", status: str = "firing") -> int:
    body = notification(alert(f"{group}-1", severity=severity, status=status), group_key=group)
    response = client.post(WEBHOOK, json=body, headers=bearer(TOKEN))
    assert response.status_code == 200, response.json
    return response.json["incident_id"]


def test_it_lists_open_incidents_first_and_the_worst_first(client, tokens):
    done = open_incident(client, "g-done", "critical", status="resolved")
    warning = open_incident(client, "g-warning", "warning")
    critical = open_incident(client, "g-critical", "critical")
    odd = open_incident(client, "g-odd", "page-me-maybe")
    acked = open_incident(client, "g-acked", "critical")
    assert client.post(f"/api/v1/incidents/{acked}/ack", headers=bearer(tokens["operator"])).status_code == 200
    listed = client.get("/api/v1/incidents", headers=bearer(tokens["viewer"])).json["items"]
    assert [i["id"] for i in listed] == [critical, warning, odd, acked, done]
    only_open = client.get("/api/v1/incidents?status=open", headers=bearer(tokens["viewer"])).json["items"]
    assert [i["id"] for i in only_open] == [critical, warning, odd]
    # a page of them says how many there are in all
    first_two = client.get("/api/v1/incidents?status=open&limit=2", headers=bearer(tokens["viewer"])).json
    assert [i["id"] for i in first_two["items"]] == [critical, warning] and first_two["total"] == 3
    assert client.get("/api/v1/incidents", headers=bearer(tokens["viewer"])).json["total"] == 5


def test_it_lists_the_incidents_of_one_service(client, tokens):
    payments = open_incident(client, "g-payments")
    body = notification(alert("g-orders-1", service="orders"), group_key="g-orders")
    assert client.post(WEBHOOK, json=body, headers=bearer(TOKEN)).status_code == 200
    listed = client.get("/api/v1/incidents?service=payments", headers=bearer(tokens["viewer"])).json["items"]
    assert [(i["id"], i["service"]) for i in listed] == [(payments, "payments")]
    refused = client.get("/api/v1/incidents?service=pay%20ments", headers=bearer(tokens["viewer"]))
    assert refused.status_code == 422


def test_it_ranks_the_severities_of_our_own_rules_with_the_usual_ones(client, tokens):
    # rules/alerts and the SLOs' burn-rate alerts say page and ticket: a page with critical, a ticket with warning
    ticket = open_incident(client, "g-ticket", "ticket")
    info = open_incident(client, "g-info", "info")
    page = open_incident(client, "g-page", "page")
    error = open_incident(client, "g-error", "error")
    listed = client.get("/api/v1/incidents?status=open", headers=bearer(tokens["viewer"])).json["items"]
    assert [i["id"] for i in listed] == [page, error, ticket, info]


def test_it_shows_an_incident_with_its_alerts_and_timeline(client, tokens):
    incident = open_incident(client, "g1")
    detail = client.get(f"/api/v1/incidents/{incident}", headers=bearer(tokens["viewer"])).json
    assert detail["status"] == "open" and detail["service"] == "payments"
    assert [a["fingerprint"] for a in detail["alerts"]] == ["g1-1"]
    assert detail["alerts"][0]["annotations"]["description"] == "error ratio 0.5 > 0.05"
    assert detail["events"][0]["kind"] == "received"


def test_it_lets_an_operator_ack_note_and_resolve(client, tokens):
    incident = open_incident(client, "g1")
    operator = bearer(tokens["operator"])
    acked = client.post(f"/api/v1/incidents/{incident}/ack", headers=operator).json
    assert (acked["status"], acked["acknowledged_by"]) == ("acknowledged", "bob")
    note = client.post(f"/api/v1/incidents/{incident}/notes", json={"text": "rolled back"}, headers=operator)
    assert note.status_code == 201 and note.json["actor"] == "bob"
    resolved = client.post(f"/api/v1/incidents/{incident}/resolve", headers=operator).json
    assert (resolved["status"], resolved["resolved_by"]) == ("resolved", "bob")
    timeline = [(e["kind"], e["actor"], e["text"]) for e in resolved["events"] if e["actor"] == "bob"]
    assert timeline == [("acknowledged", "bob", ""), ("note", "bob", "rolled back"), ("resolved", "bob", "")]


def test_it_refuses_to_ack_or_resolve_twice(client, tokens):
    incident = open_incident(client, "g1")
    operator = bearer(tokens["operator"])
    client.post(f"/api/v1/incidents/{incident}/ack", headers=operator)
    again = client.post(f"/api/v1/incidents/{incident}/ack", headers=operator)
    assert (again.status_code, again.json["error"]) == (409, "conflict")
    client.post(f"/api/v1/incidents/{incident}/resolve", headers=operator)
    assert client.post(f"/api/v1/incidents/{incident}/resolve", headers=operator).status_code == 409


def test_it_keeps_viewers_to_reading(client, tokens):
    incident = open_incident(client, "g1")
    viewer = bearer(tokens["viewer"])
    for path in ("ack", "resolve"):
        assert client.post(f"/api/v1/incidents/{incident}/{path}", headers=viewer).status_code == 403
    assert client.post(f"/api/v1/incidents/{incident}/notes", json={"text": "x"}, headers=viewer).status_code == 403


@pytest.mark.parametrize("method, path", [("GET", ""), ("POST", "/ack"), ("POST", "/resolve")])
def test_it_answers_404_for_an_unknown_incident(client, tokens, method, path):
    response = client.open(f"/api/v1/incidents/999{path}", method=method, headers=bearer(tokens["operator"]))
    assert (response.status_code, response.json["error"]) == (404, "not_found")


def test_it_keeps_the_operators_resolve_when_alertmanager_repeats_itself(client, tokens):
    incident = open_incident(client, "g1")
    client.post(f"/api/v1/incidents/{incident}/resolve", headers=bearer(tokens["operator"]))
    open_incident(client, "g1")
    detail = client.get(f"/api/v1/incidents/{incident}", headers=bearer(tokens["viewer"])).json
    assert detail["status"] == "resolved"


def test_it_hands_an_incident_to_another_user(client, tokens):
    incident = open_incident(client, "g-handover")
    url, operator = f"/api/v1/incidents/{incident}/reassign", bearer(tokens["operator"])
    handed = client.post(url, json={"to": "charlie", "note": "your service"}, headers=operator)
    assert handed.status_code == 200 and handed.json["assignee"] == "charlie"
    last = handed.json["events"][-1]
    assert (last["kind"], last["actor"], last["text"]) == ("reassigned", "bob", "to charlie: your service")
    assert client.post(url, json={"to": "charlie"}, headers=operator).status_code == 409  # already theirs
    unknown = client.post(url, json={"to": "nobody"}, headers=operator)
    assert (unknown.status_code, unknown.json["error"]) == (422, "unknown_user")
    assert client.post(url, json={"to": "bob"}, headers=bearer(tokens["viewer"])).status_code == 403
    assert client.post(f"/api/v1/incidents/{incident}/resolve", headers=operator).status_code == 200
    assert client.post(url, json={"to": "bob"}, headers=operator).status_code == 409  # resolved: nobody needs it
