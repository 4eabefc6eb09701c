"""``/api/v1/silences`` against a real Alertmanager of the test's own: a silence made from an incident mutes its
alert in Alertmanager and is written on the incident's timeline; expiring it lets the alert through again."""
from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from kit import eventually

from alertkit import TOKEN, oncall_settings
from payloads import alert, notification

LABELS = {"alertname": "SilenceMe", "service": "payments", "severity": "critical"}


@pytest.fixture
def alertmanager(private_alertmanager):
    return private_alertmanager


@pytest.fixture
def oncall_app(make_console, smtp, chat, alertmanager):
    return make_console(**oncall_settings(smtp, chat), ALERTMANAGER_URL=alertmanager)


@pytest.fixture
def client(oncall_app):
    return oncall_app.test_client()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def firing(alertmanager: str) -> None:
    """Raise our alert in Alertmanager, as Prometheus would."""
    started = datetime.now(UTC).isoformat()
    httpx.post(f"{alertmanager}/api/v2/alerts", json=[{"labels": LABELS, "startsAt": started}],
               timeout=5).raise_for_status()


def state(alertmanager: str) -> tuple[str, list[str]]:
    """Our alert's state in Alertmanager and the silences that mute it."""
    held = httpx.get(f"{alertmanager}/api/v2/alerts", params={"filter": 'alertname="SilenceMe"'}, timeout=5).json()
    return (held[0]["status"]["state"], held[0]["status"]["silencedBy"]) if held else ("", [])


def incident_of(client) -> int:
    body = notification({**alert("silence-1"), "labels": LABELS}, group_key="silence-group")
    response = client.post("/api/v1/alertmanager/webhook", json=body, headers=bearer(TOKEN))
    assert response.status_code == 200, response.json
    return response.json["incident_id"]


def matchers(labels: dict[str, str]) -> list[dict]:
    return [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in labels.items()]


def test_it_mutes_the_incidents_alert_in_alertmanager_until_expired(client, tokens, alertmanager):
    firing(alertmanager)
    incident = incident_of(client)
    made = client.post("/api/v1/silences", headers=bearer(tokens["operator"]), json={
        "matchers": matchers(LABELS), "duration": 600, "comment": "fix on its way", "incident_id": incident})
    assert made.status_code == 201, made.json
    silence = made.json["id"]
    assert eventually(lambda: state(alertmanager) == ("suppressed", [silence]), timeout=10, what="alert silenced")
    listed = client.get("/api/v1/silences", headers=bearer(tokens["viewer"])).json["items"]
    ours = next(s for s in listed if s["id"] == silence)
    assert (ours["state"], ours["createdBy"], ours["comment"]) == ("active", "bob", "fix on its way")
    events = client.get(f"/api/v1/incidents/{incident}", headers=bearer(tokens["viewer"])).json["events"]
    silenced = [e for e in events if e["kind"] == "silenced"]
    assert len(silenced) == 1 and silenced[0]["text"].startswith("silenced by bob until ")
    assert silenced[0]["text"].endswith(f"({silence})") and silenced[0]["detail"]["silence_id"] == silence

    assert client.delete(f"/api/v1/silences/{silence}", headers=bearer(tokens["operator"])).status_code == 204
    assert eventually(lambda: state(alertmanager) == ("active", []), timeout=10, what="alert active again")
    listed = client.get("/api/v1/silences", headers=bearer(tokens["viewer"])).json["items"]
    assert next(s for s in listed if s["id"] == silence)["state"] == "expired"


@pytest.mark.parametrize("body, why", [
    ({"matchers": [], "duration": 600, "comment": "x"}, "at least 1"),
    ({"matchers": matchers({"bad-name": "x"}), "duration": 600, "comment": "x"}, "pattern"),
    ({"matchers": matchers({"service": "x"}), "duration": 600, "comment": ""}, "at least 1"),
    ({"matchers": matchers({"service": "x"}), "duration": 600}, "required"),
    ({"matchers": matchers({"service": "x"}), "comment": "x"}, "exactly one of duration and endsAt"),
    ({"matchers": matchers({"service": "x"}), "duration": 600, "endsAt": "2030-01-01T00:00:00Z", "comment": "x"},
     "exactly one of duration and endsAt"),
    ({"matchers": [{"name": "service", "value": ".*", "isRegex": True, "isEqual": True}], "duration": 600,
      "comment": "x"}, "must not match a missing label"),
    ({"matchers": [{"name": "service", "value": "(", "isRegex": True, "isEqual": True}], "duration": 600,
      "comment": "x"}, "not a regular expression"),
], ids=["no matcher", "bad label name", "empty comment", "no comment", "no end", "two ends",
        "matches everything", "broken regex"])
def test_it_refuses_a_silence_it_cannot_make(client, tokens, body, why):
    response = client.post("/api/v1/silences", json=body, headers=bearer(tokens["operator"]))
    assert response.status_code == 422, response.json
    assert why in str(response.json["detail"])


def test_it_refuses_a_silence_ending_in_the_past(client, tokens):
    response = client.post("/api/v1/silences", headers=bearer(tokens["operator"]), json={
        "matchers": matchers({"service": "x"}), "endsAt": "2020-01-01T00:00:00Z", "comment": "x"})
    assert (response.status_code, response.json["detail"]) == (422, "endsAt is in the past")


def test_it_lets_only_operators_silence(client, tokens):
    body = {"matchers": matchers({"service": "x"}), "duration": 600, "comment": "x"}
    assert client.post("/api/v1/silences", json=body, headers=bearer(tokens["viewer"])).status_code == 403


def test_it_says_404_for_a_silence_alertmanager_does_not_know(client, tokens):
    unknown = "00000000-0000-0000-0000-000000000000"
    response = client.delete(f"/api/v1/silences/{unknown}", headers=bearer(tokens["operator"]))
    assert (response.status_code, response.json["error"]) == (404, "not_found")


def test_it_says_404_for_a_silence_of_an_unknown_incident(client, tokens):
    response = client.post("/api/v1/silences", headers=bearer(tokens["operator"]), json={
        "matchers": matchers({"service": "x"}), "duration": 600, "comment": "x", "incident_id": 999})
    assert (response.status_code, response.json["error"]) == (404, "not_found")


def test_it_answers_503_when_alertmanager_is_down(make_console, smtp, chat, closed_url):
    from console import auth, store

    app = make_console(**oncall_settings(smtp, chat), ALERTMANAGER_URL=closed_url)
    with app.app_context():
        token, _ = auth.create_token(store.session(), role="operator", name="bob")
    response = app.test_client().post("/api/v1/silences", headers=bearer(token), json={
        "matchers": matchers({"service": "x"}), "duration": 600, "comment": "x"})
    assert (response.status_code, response.json["error"]) == (503, "backend_unavailable")
    listed = app.test_client().get("/api/v1/silences", headers=bearer(token))
    assert (listed.status_code, listed.json["error"]) == (503, "backend_unavailable")
