"""``/api/v1/tokens``: the clear token once, never again; revocation; the audit record."""
from __future__ import annotations

from console import store
from console.store import ApiToken


def test_it_shows_a_new_token_once_and_it_works(client, creds):
    response = client.post("/api/v1/tokens", headers=creds.header("admin"),
                           json={"name": "deploy", "role": "operator", "expires_in_days": 7})
    assert response.status_code == 201
    created = response.json
    assert created["token"].startswith("osc_") and created["expires_at"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {created['token']}"}).json
    assert me == {"name": "deploy", "role": "operator", "via": "token"}
    listed = client.get("/api/v1/tokens", headers=creds.header("admin")).get_data(as_text=True)
    assert created["prefix"] in listed and created["token"] not in listed and '"token"' not in listed


def test_it_stores_the_token_hashed(app, client, creds):
    clear = client.post("/api/v1/tokens", headers=creds.header("admin"), json={"name": "x", "role": "viewer"}).json
    with app.app_context():
        stored = store.session().get(ApiToken, clear["id"])
        assert clear["token"].rsplit("_", 1)[-1] not in stored.secret_hash


def test_it_revokes_a_token_at_once(client, creds):
    created = client.post("/api/v1/tokens", headers=creds.header("admin"), json={"name": "x", "role": "viewer"}).json
    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=creds.header("admin")).status_code == 204
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {created['token']}"})
    assert response.status_code == 401
    again = client.delete(f"/api/v1/tokens/{created['id']}", headers=creds.header("admin"))
    assert again.status_code == 404 and again.json["error"] == "not_found"


def test_it_audits_creation_and_refusal_without_the_secret(client, creds):
    created = client.post("/api/v1/tokens", headers=creds.header("admin"), json={"name": "ci", "role": "admin"}).json
    client.post("/api/v1/tokens", headers=creds.header("operator"), json={"name": "sneaky", "role": "admin"})
    entries = client.get("/api/v1/audit?limit=2", headers=creds.header("admin")).json["items"]
    refused, made = entries
    assert (refused["actor"], refused["action"], refused["result"]) == ("token:bob-cli", "tokens.create", "forbidden")
    assert (made["actor"], made["action"], made["result"]) == ("token:alice-cli", "tokens.create", "ok")
    assert made["target"] == f"token:{created['id']}" and made["source"] == "127.0.0.1"
    assert created["token"] not in str(entries)
