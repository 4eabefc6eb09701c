"""``POST /api/v1/alertmanager/webhook``: only Alertmanager's token, only version 4, idempotent, then notified."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from console import store
from console.alerts import notifier
from console.alerts.models import Delivery, Incident, IncidentAlert, IncidentEvent

from alertkit import TOKEN
from payloads import alert, notification

URL = "/api/v1/alertmanager/webhook"
AM = {"Authorization": f"Bearer {TOKEN}"}


def counts(app) -> dict[str, int]:
    """How many rows each on-call table holds."""
    with app.app_context():
        db = store.session()
        return {model.__tablename__: db.scalar(select(func.count()).select_from(model))
                for model in (Incident, IncidentAlert, IncidentEvent, Delivery)}


def delivered(app) -> None:
    assert notifier(app).wait_idle(10), "deliveries still running after 10 s"


@pytest.mark.parametrize("headers", [
    pytest.param({}, id="no bearer"),
    pytest.param({"Authorization": "Bearer not-the-token"}, id="wrong bearer"),
    pytest.param({"Authorization": f"Basic {TOKEN}"}, id="right secret, wrong scheme"),
])
def test_it_refuses_a_caller_without_alertmanagers_token(oncall_app, headers):
    response = oncall_app.test_client().post(URL, json=notification(), headers=headers)
    assert response.status_code == 401
    assert response.json["error"] == "unauthenticated" and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert set(counts(oncall_app).values()) == {0}


def test_it_refuses_a_users_token(oncall_app, tokens):
    response = oncall_app.test_client().post(URL, json=notification(),
                                             headers={"Authorization": f"Bearer {tokens['operator']}"})
    assert response.status_code == 401


def test_it_refuses_every_call_when_no_token_is_configured(make_console):
    app = make_console(ALERTMANAGER_TOKEN="")
    assert app.test_client().post(URL, json=notification(), headers={"Authorization": "Bearer "}).status_code == 401


@pytest.mark.parametrize("body, where", [
    pytest.param({**notification(), "version": "3"}, "version", id="wrong version"),
    pytest.param({k: v for k, v in notification().items() if k != "groupKey"}, "groupKey", id="no group key"),
    pytest.param(notification({k: v for k, v in alert("a1").items() if k != "fingerprint"}), "fingerprint",
                 id="an alert without fingerprint"),
])
def test_it_answers_400_to_a_bad_payload_and_stores_nothing(oncall_app, body, where):
    response = oncall_app.test_client().post(URL, json=body, headers=AM)
    assert response.status_code == 400, response.json
    assert response.json["error"] == "validation_failed"
    assert any(where in map(str, problem["loc"]) for problem in response.json["detail"])
    assert set(counts(oncall_app).values()) == {0}


def test_it_answers_400_to_a_body_that_is_not_json(oncall_app):
    response = oncall_app.test_client().post(URL, data=b"{not json", headers=AM, content_type="application/json")
    assert (response.status_code, response.json["error"]) == (400, "malformed_json")


def test_it_answers_413_to_a_body_over_the_limit_and_stores_nothing(oncall_app):
    big = notification(*[alert(f"fp{n:05d}") for n in range(3000)])
    data = json.dumps(big).encode()
    assert len(data) > 1024 * 1024
    response = oncall_app.test_client().post(URL, data=data, headers=AM, content_type="application/json")
    assert response.status_code == 413
    assert response.json["error"] == "request_entity_too_large"
    assert set(counts(oncall_app).values()) == {0}


def test_it_makes_one_incident_and_one_notification_of_three_identical_posts(oncall_app, smtp, chat):
    inbox, _ = smtp
    client = oncall_app.test_client()
    answers = [client.post(URL, json=notification(), headers=AM) for _ in range(3)]
    delivered(oncall_app)
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [(a.json["created"], a.json["changed"]) for a in answers] == [(True, True), (False, False), (False, False)]
    assert len({a.json["incident_id"] for a in answers}) == 1
    assert counts(oncall_app)["incidents"] == 1
    assert len(inbox.messages) == 1 and len(chat.posts) == 1
    mail = inbox.messages[0]
    assert mail.recipients == ["oncall@example.test"]
    assert "Subject: [FIRING:1] payments fails half its requests (critical payments)" in mail.text
    assert f"http://console.test/incidents/{answers[0].json['incident_id']}" in mail.text
    assert chat.posts[0]["text"].startswith("*[FIRING:1] payments fails half its requests")


def test_it_notifies_again_when_an_alert_joins_and_when_all_resolve(oncall_app, smtp, chat):
    inbox, _ = smtp
    client = oncall_app.test_client()
    for body in (notification(alert("a1")), notification(alert("a1")), notification(alert("a1"), alert("a2")),
                 notification(alert("a1", status="resolved"), alert("a2", status="resolved")),
                 notification(alert("a1", status="resolved"), alert("a2", status="resolved"))):
        assert client.post(URL, json=body, headers=AM).status_code == 200
        delivered(oncall_app)
    subjects = [next(line for line in m.text.splitlines() if line.startswith("Subject:")) for m in inbox.messages]
    assert [s.split("]")[0] for s in subjects] == ["Subject: [FIRING:1", "Subject: [FIRING:2", "Subject: [RESOLVED"]
    assert len(chat.posts) == 3
    with oncall_app.app_context():
        incident = store.session().scalars(select(Incident)).one()
        assert incident.status == "resolved"
        kinds = [e.kind for e in incident.events]
    assert kinds.count("notified") == 6 and kinds.count("received") == 3 and "resolved" in kinds


def test_it_audits_changes_and_refusals_but_not_alertmanagers_repeats(oncall_app):
    from console import auth

    client = oncall_app.test_client()
    for _ in range(3):
        client.post(URL, json=notification(), headers=AM)
    client.post(URL, json=notification(alert("a1"), alert("a2")), headers=AM)
    client.post(URL, json=notification(), headers={"Authorization": "Bearer wrong"})
    with oncall_app.app_context():
        entries = auth.list_audit(store.session())
    assert [(e.action, e.result, (e.detail or {}).get("changed")) for e in reversed(entries)] == [
        ("incidents.webhook", "ok", True), ("incidents.webhook", "ok", True),
        ("incidents.webhook", "unauthenticated", None)]
    assert entries[1].actor == "shared-token:alertmanager_token"
