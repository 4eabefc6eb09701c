"""The users page (admins manage people) and the account page (everyone's own password), through their forms."""
from __future__ import annotations

import pytest

from apikit import PASSWORD, log_in


@pytest.fixture
def admin(client, creds):
    """``client`` logged in as alice (admin); returns the session's CSRF token."""
    return log_in(client, "alice")


def post(client, csrf: str, path: str, **form):
    return client.post(path, data={"csrf_token": csrf, **form})


def test_it_lists_users_to_admins_and_shows_the_menu_entry_to_them_only(app, client, creds, admin):
    page = client.get("/users")
    assert page.status_code == 200
    assert all(f'data-user="{name}"' in page.text for name in ("alice", "bob", "charlie"))
    assert 'href="/users"' in page.text
    viewer = app.test_client()
    log_in(viewer, "charlie")
    assert viewer.get("/users").status_code == 403
    assert 'href="/users"' not in viewer.get("/services").text


def test_it_adds_a_user_who_can_log_in(app, client, admin):
    response = post(client, admin, "/users", name="dave", role="operator", password="dave's long password")
    assert response.status_code == 302
    assert "Added dave (operator)." in client.get(response.location).text
    log_in(app.test_client(), "dave", "dave's long password")


@pytest.mark.parametrize("form, status, says", [
    ({"name": "bob", "role": "viewer", "password": "a long password"}, 409, "user bob: already exists"),
    ({"name": "eve", "role": "viewer", "password": "short"}, 422, "at least 8 characters"),
    ({"name": "eve", "role": "root", "password": "a long password"}, 422, "unknown role"),
    ({"name": "no spaces", "role": "viewer", "password": "a long password"}, 422, "bad user name"),
], ids=["taken name", "short password", "unknown role", "bad name"])
def test_it_brings_the_form_back_with_what_was_wrong(client, admin, form, status, says):
    response = post(client, admin, "/users", **form)
    assert response.status_code == status and says in response.text
    assert f'value="{form["name"]}"' in response.text


def test_it_changes_a_role(app, client, admin):
    charlie = app.test_client()
    log_in(charlie, "charlie")
    assert post(client, admin, "/users/charlie", role="operator").status_code == 302
    assert charlie.get("/api/v1/me").json["role"] == "operator"


def test_it_disables_and_enables_a_user(app, client, admin):
    bob = app.test_client()
    log_in(bob, "bob")
    response = post(client, admin, "/users/bob", disabled="1")
    assert "bob: disabled." in client.get(response.location).text
    assert bob.get("/api/v1/me").status_code == 401
    post(client, admin, "/users/bob", disabled="0")
    log_in(bob, "bob")


def test_it_sets_a_new_password_that_ends_the_old_sessions(app, client, admin):
    bob = app.test_client()
    log_in(bob, "bob")
    post(client, admin, "/users/bob", password="bob's brand new password")
    assert bob.get("/api/v1/me").status_code == 401
    log_in(bob, "bob", "bob's brand new password")


def test_it_keeps_the_last_enabled_admin(client, admin):
    response = post(client, admin, "/users/alice", disabled="1")
    assert response.status_code == 409 and "the last enabled admin" in response.text
    assert 'data-user="alice" class="editing"' in response.text  # the refused row stands out
    assert client.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("path, form, status", [
    ("/users/dave", {"role": "viewer"}, 404),  # nobody by that name
    ("/users/bob", {}, 422),  # nothing to change
    ("/users/bob", {"password": "short"}, 422),
])
def test_it_refuses_a_bad_change_on_the_page(client, admin, path, form, status):
    assert post(client, admin, path, **form).status_code == status


def test_it_needs_the_csrf_token(client, admin):
    assert client.post("/users/bob", data={"disabled": "1"}).status_code == 400


def test_it_lets_operators_not_change_users(app, creds):
    bob = app.test_client()
    csrf = log_in(bob, "bob")
    assert post(bob, csrf, "/users/charlie", role="admin").status_code == 403


def test_it_changes_your_own_password_and_keeps_this_session(app, creds):
    other = app.test_client()
    log_in(other, "charlie")
    client = app.test_client()
    csrf = log_in(client, "charlie")
    assert "You are <strong>charlie</strong>, viewer." in client.get("/account").text
    response = post(client, csrf, "/account/password", current_password=PASSWORD,
                    new_password="charlie's new one", new_password_again="charlie's new one")
    assert "Password changed; your other sessions have ended." in client.get(response.location).text
    assert client.get("/api/v1/me").status_code == 200
    assert other.get("/api/v1/me").status_code == 401
    log_in(app.test_client(), "charlie", "charlie's new one")


@pytest.mark.parametrize("form, status, says", [
    ({"current_password": "not mine", "new_password": "a new password", "new_password_again": "a new password"},
     403, "the current password is wrong"),
    ({"current_password": PASSWORD, "new_password": "a new password", "new_password_again": "another one"},
     422, "the two new passwords differ"),
    ({"current_password": PASSWORD, "new_password": "short", "new_password_again": "short"},
     422, "at least 8 characters"),
], ids=["wrong current", "mismatch", "too short"])
def test_it_refuses_a_bad_password_change(app, creds, form, status, says):
    client = app.test_client()
    csrf = log_in(client, "charlie")
    response = post(client, csrf, "/account/password", **form)
    assert response.status_code == status and says in response.text
    log_in(app.test_client(), "charlie")


def test_it_keeps_the_session_of_an_admin_who_sets_their_own_password(client, admin):
    assert post(client, admin, "/users/alice", password="alice's new password").status_code == 302
    assert client.get("/api/v1/me").json["name"] == "alice"


def test_it_stops_guessing_the_current_password_after_five_tries(app, creds):
    client = app.test_client()
    csrf = log_in(client, "charlie")
    for _ in range(5):
        post(client, csrf, "/account/password", current_password="a guess", new_password="a new password",
             new_password_again="a new password")
    response = post(client, csrf, "/account/password", current_password=PASSWORD, new_password="a new password",
                    new_password_again="a new password")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert "Too many wrong passwords" in response.text
    log_in(app.test_client(), "charlie")  # the password did not change
