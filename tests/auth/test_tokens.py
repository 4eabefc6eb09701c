from datetime import timedelta

import pytest
from authkit import log_in
from flask import request

from console import auth, store
from console.auth import authenticate, role_allows, role_required


@pytest.fixture
def tokens(app):
    """A clear token for each role."""
    with app.app_context():
        return {role: auth.create_token(store.session(), role=role, name=f"{role}-token")[0] for role in auth.ROLES}


def _principal(app, **headers):
    with app.test_request_context(headers=headers):
        return authenticate(request)


def test_it_shapes_tokens_with_a_lookup_prefix(tokens):
    scheme, prefix, secret = tokens["viewer"].split("_", 2)
    assert scheme == "osc" and len(prefix) == 12 and len(secret) >= 43


def test_it_authenticates_a_bearer_token(app, tokens):
    principal = _principal(app, Authorization=f"Bearer {tokens['operator']}")
    assert (principal.name, principal.role, principal.via) == ("operator-token", "operator", "token")


def test_it_ignores_the_session_when_a_bad_token_is_sent(app, alice):
    # alice's cookie rides along, but the request is judged by the token it presents
    response = alice.get("/login", headers={"Authorization": "Bearer osc_000000000000_nope"})
    assert "alice</a> · admin" not in response.get_data(as_text=True)
    assert "alice</a> · admin" in alice.get("/login").get_data(as_text=True)


def test_it_returns_none_without_credentials(app):
    assert _principal(app) is None


def test_it_refuses_an_expired_token(app):
    with app.app_context():
        clear, token = auth.create_token(store.session(), role="admin", name="brief", expires_in=timedelta(minutes=1))
        token.expires_at = token.created_at - timedelta(seconds=1)
        store.session().commit()
    assert _principal(app, Authorization=f"Bearer {clear}") is None


@pytest.mark.parametrize("have, need, allowed", [
    ("viewer", "viewer", True), ("viewer", "operator", False), ("operator", "viewer", True),
    ("operator", "admin", False), ("admin", "operator", True), ("root", "viewer", False),
])
def test_it_orders_roles(have, need, allowed):
    assert role_allows(have, need) is allowed


def test_it_gives_403_to_a_role_too_low_for_a_page(make_app, cast):
    app = make_app()
    app.add_url_rule("/operators-only", "operators_only", role_required("operator")(lambda: "ok"))
    client = app.test_client()
    assert client.get("/operators-only").status_code == 302
    log_in(client, "charlie")
    assert client.get("/operators-only").status_code == 403
    log_in(client, "bob")
    assert client.get("/operators-only").get_data(as_text=True) == "ok"
