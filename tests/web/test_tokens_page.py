"""The API tokens page: admins make a token (its secret shown on that answer only), see every token, revoke one."""
from __future__ import annotations

import re

import pytest

from apikit import log_in


@pytest.fixture
def admin(client, creds):
    """``client`` logged in as alice (admin); returns the session's CSRF token."""
    return log_in(client, "alice")


def make(client, csrf: str, **form):
    return client.post("/tokens", data={"csrf_token": csrf, "role": "operator", "lifetime": "90 days", **form})


def test_it_shows_a_new_token_once_and_it_works(client, admin):
    response = make(client, admin, name="ci-deploy")
    assert response.status_code == 201
    clear = re.search(r'<code id="minted-token">(osc_[^<]+)</code>', response.text)[1]
    # the secret rides in this answer only: not in a cookie, not on the page afterwards
    assert clear not in response.headers.get("Set-Cookie", "")
    assert clear not in client.get("/tokens").text
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"}).json
    assert me == {"name": "ci-deploy", "role": "operator", "via": "token"}
    entry = client.get("/api/v1/audit?limit=1").json["items"][0]
    assert (entry["action"], entry["actor"], entry["detail"]["name"]) == ("tokens.create", "alice", "ci-deploy")


def test_it_lists_every_token_newest_first_with_its_state(client, creds, admin):
    page = client.get("/tokens").text
    assert 'aria-current="true">Users</a>' in page  # the tokens are part of the users' area
    names = re.findall(r'<tr data-token="\d+" class="[^"]*">\s*<td>([^<]+)</td>', page)
    assert names == ["revoked", "expired", "charlie-cli", "bob-cli", "alice-cli"]
    row = r'<td>([^<]+)</td><td>\w+</td><td><code>\w+</code></td>\s*<td><span class="pill [\w-]+">(\w+)</span>'
    states = dict(re.findall(row, page))
    assert states == {"revoked": "revoked", "expired": "expired", "charlie-cli": "active", "bob-cli": "active",
                      "alice-cli": "active"}


def test_it_revokes_a_token(client, creds, admin):
    clear = re.search(r'<code id="minted-token">(osc_[^<]+)</code>', make(client, admin, name="doomed").text)[1]
    token_id = re.search(r'<tr data-token="(\d+)"', client.get("/tokens").text)[1]
    response = client.post(f"/tokens/{token_id}/revoke", data={"csrf_token": admin})
    assert response.status_code == 302
    assert "Revoked token doomed" in client.get(response.location).text
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"}).status_code == 401
    again = client.post(f"/tokens/{token_id}/revoke", data={"csrf_token": admin})
    assert again.status_code == 404 and f"no live token {token_id}" in again.text


@pytest.mark.parametrize("form, says", [
    ({"name": "   "}, "a token name needs 1 to 128 characters"),
    ({"name": "ok", "role": "root"}, "unknown role"),
    ({"name": "ok", "lifetime": "forever"}, "choose a lifetime"),
], ids=["blank name", "unknown role", "unknown lifetime"])
def test_it_brings_the_form_back_with_what_was_wrong(client, admin, form, says):
    response = make(client, admin, **form)
    assert response.status_code == 422 and says in response.text and "minted-token" not in response.text


def test_it_is_for_admins_only(app, creds):
    bob = app.test_client()
    csrf = log_in(bob, "bob")
    assert bob.get("/tokens").status_code == 403
    assert make(bob, csrf, name="sneaky").status_code == 403
