"""``/api/v1/users``: creating users (409 on a taken name), listing them without password material, changing their
role, access and password (never leaving no enabled admin); ``/api/v1/me/password``: your own password."""
from __future__ import annotations

import pytest

from apikit import PASSWORD, log_in, page_csrf_token


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


def test_it_changes_a_role_at_the_next_request(client, creds):
    csrf = log_in(client, "charlie")
    response = client.patch("/api/v1/users/charlie", headers=creds.header("admin"), json={"role": "operator"})
    assert response.status_code == 200 and response.json["role"] == "operator"
    assert client.get("/api/v1/me").json["role"] == "operator"
    assert client.post("/api/v1/silences", headers={"X-CSRFToken": csrf}, json={}).status_code == 422


def test_it_disables_a_user_whose_session_then_ends(client, creds):
    log_in(client, "bob")
    response = client.patch("/api/v1/users/bob", headers=creds.header("admin"), json={"disabled": True})
    assert response.status_code == 200 and response.json["disabled"] is True
    assert client.get("/api/v1/me").status_code == 401
    assert client.post("/login", data={"name": "bob", "password": PASSWORD,
                                       "csrf_token": page_csrf_token(client.get("/login").text)}).status_code == 401
    client.patch("/api/v1/users/bob", headers=creds.header("admin"), json={"disabled": False})
    log_in(client, "bob")


def test_it_disables_the_tokens_a_disabled_user_owns(client, creds):
    client.patch("/api/v1/users/bob", headers=creds.header("admin"), json={"disabled": True})
    assert client.get("/api/v1/me", headers=creds.header("operator")).status_code == 401


def test_it_resets_a_password_and_ends_the_sessions_opened_with_the_old_one(app, creds):
    before = app.test_client()
    log_in(before, "charlie")
    admin = app.test_client()
    response = admin.patch("/api/v1/users/charlie", headers=creds.header("admin"),
                           json={"password": "charlie's new password"})
    assert response.status_code == 200
    assert before.get("/api/v1/me").status_code == 401
    entry = admin.get("/api/v1/audit?limit=1", headers=creds.header("admin")).json["items"][0]
    assert (entry["action"], entry["target"], entry["detail"]) == ("users.update", "user:charlie", {"password": "set"})
    log_in(app.test_client(), "charlie", "charlie's new password")


@pytest.mark.parametrize("change", [{"role": "viewer"}, {"disabled": True}], ids=["demoted", "disabled"])
def test_it_keeps_one_enabled_admin(client, creds, change):
    response = client.patch("/api/v1/users/alice", headers=creds.header("admin"), json=change)
    assert response.status_code == 409 and "last enabled admin" in response.json["detail"]
    client.patch("/api/v1/users/bob", headers=creds.header("admin"), json={"role": "admin"})
    assert client.patch("/api/v1/users/alice", headers=creds.header("admin"), json=change).status_code == 200


@pytest.mark.parametrize("name, body, status", [
    ("dave", {"role": "viewer"}, 404),  # nobody by that name
    ("a%20b", {"role": "viewer"}, 404),  # not a user name at all
    ("bob", {}, 422),  # nothing to change
    ("bob", {"role": "root"}, 422),
    ("bob", {"password": "short"}, 422),
    ("bob", {"name": "robert"}, 422),  # a name is for good
])
def test_it_refuses_bad_changes(client, creds, name, body, status):
    assert client.patch(f"/api/v1/users/{name}", headers=creds.header("admin"), json=body).status_code == status


def test_it_lets_only_admins_change_users(client, creds):
    response = client.patch("/api/v1/users/charlie", headers=creds.header("operator"), json={"role": "admin"})
    assert response.status_code == 403


def test_it_changes_your_own_password_and_keeps_this_session(app, creds):
    other = app.test_client()
    log_in(other, "bob")
    client = app.test_client()
    csrf = log_in(client, "bob")
    response = client.post("/api/v1/me/password", headers={"X-CSRFToken": csrf},
                           json={"current_password": PASSWORD, "new_password": "bob's new password"})
    assert response.status_code == 204
    assert client.get("/api/v1/me").status_code == 200
    assert other.get("/api/v1/me").status_code == 401
    log_in(app.test_client(), "bob", "bob's new password")


def test_it_refuses_a_wrong_current_password(client, creds):
    csrf = log_in(client, "bob")
    response = client.post("/api/v1/me/password", headers={"X-CSRFToken": csrf},
                           json={"current_password": "not it at all", "new_password": "bob's new password"})
    assert response.status_code == 403 and response.json["error"] == "wrong_password"
    log_in(client, "bob")


def test_it_tells_a_token_it_has_no_password(client, creds):
    response = client.post("/api/v1/me/password", headers=creds.header("viewer"),
                           json={"current_password": PASSWORD, "new_password": "a new long password"})
    assert response.status_code == 403 and response.json["error"] == "no_password"


def test_it_keeps_the_session_of_an_admin_who_sets_their_own_password(client, creds):
    csrf = log_in(client, "alice")
    response = client.patch("/api/v1/users/alice", headers={"X-CSRFToken": csrf},
                            json={"password": "alice's new password"})
    assert response.status_code == 200
    assert client.get("/api/v1/me").json["name"] == "alice"


def test_it_stops_guessing_the_current_password_after_five_tries(client, creds):
    csrf = log_in(client, "bob")
    guess = {"current_password": "a guess", "new_password": "bob's new password"}
    assert [client.post("/api/v1/me/password", headers={"X-CSRFToken": csrf}, json=guess).status_code
            for _ in range(6)] == [403] * 5 + [429]
    response = client.post("/api/v1/me/password", headers={"X-CSRFToken": csrf},
                           json={**guess, "current_password": PASSWORD})
    assert response.status_code == 429 and response.json["error"] == "throttled" and response.headers["Retry-After"]
