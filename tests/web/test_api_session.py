"""Browser sessions on the API: reads need only the login, changes also need the X-CSRFToken header."""
from __future__ import annotations

from apikit import log_in


def test_it_accepts_a_logged_in_session_for_reads(client, creds):
    log_in(client, "charlie")
    assert client.get("/api/v1/me").json == {"name": "charlie", "role": "viewer", "via": "session"}


def test_it_refuses_a_session_change_without_the_csrf_header(client, creds):
    log_in(client, "alice")
    response = client.post("/api/v1/tokens", json={"name": "from-browser", "role": "viewer"})
    assert response.status_code == 403 and response.json["error"] == "csrf_failed"
    entry = client.get("/api/v1/audit?limit=1").json["items"][0]
    assert (entry["actor"], entry["action"], entry["result"]) == ("alice", "tokens.create", "csrf_failed")


def test_it_accepts_a_session_change_with_the_csrf_header(client, creds):
    csrf = log_in(client, "alice")
    response = client.post("/api/v1/tokens", json={"name": "from-browser", "role": "viewer"},
                           headers={"X-CSRFToken": csrf})
    assert response.status_code == 201


def test_it_judges_a_request_with_a_bad_token_by_the_token_alone(client, creds):
    log_in(client, "alice")
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {creds.wrong}"})
    assert response.status_code == 401


def test_it_needs_no_csrf_header_with_a_bearer_token(client, creds):
    response = client.post("/api/v1/tokens", json={"name": "script", "role": "viewer"}, headers=creds.header("admin"))
    assert response.status_code == 201
