"""``/api/v1/users``: creating users (409 on a taken name), listing them without password material."""
from __future__ import annotations

from apikit import log_in


def test_it_creates_a_user_who_can_log_in(client, creds):
    response = client.post("/api/v1/users", headers=creds.header("admin"),
                           json={"name": "dave", "password": "dave's long password", "role": "operator"})
    assert response.status_code == 201 and response.json["name"] == "dave" and response.json["role"] == "operator"
    log_in(client, "dave", "dave's long password")
    assert client.get("/api/v1/me").json == {"name": "dave", "role": "operator", "via": "session"}


def test_it_refuses_a_taken_name_with_409(client, creds):
    response = client.post("/api/v1/users", headers=creds.header("admin"),
                           json={"name": "alice", "password": "another password", "role": "viewer"})
    assert response.status_code == 409 and response.json["error"] == "conflict"


def test_it_lists_users_without_passwords(client, creds):
    body = client.get("/api/v1/users", headers=creds.header("admin")).json
    assert [(u["name"], u["role"]) for u in body["items"]] == [("alice", "admin"), ("bob", "operator"),
                                                                ("charlie", "viewer")]
    assert all(set(u) == {"id", "name", "role", "created_at", "disabled"} for u in body["items"])
