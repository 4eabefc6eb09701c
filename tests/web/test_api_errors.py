"""The error envelope: every failure under /api/v1 is ``{error, detail}`` JSON with a fitting status."""
from __future__ import annotations


def test_it_answers_an_unknown_path_with_404(client):
    response = client.get("/api/v1/nothing/here")
    assert response.status_code == 404 and set(response.json) == {"error", "detail"}
    assert response.json["error"] == "not_found"


def test_it_answers_a_wrong_method_with_405_and_allow(client, creds):
    response = client.put("/api/v1/users", headers=creds.header("admin"), json={})
    assert response.status_code == 405 and response.json["error"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_it_answers_malformed_json_with_400(client, creds):
    response = client.post("/api/v1/tokens", headers=creds.header("admin"), data=b'{"name": ',
                           content_type="application/json")
    assert response.status_code == 400 and response.json["error"] == "malformed_json"


def test_it_answers_an_invalid_body_with_422_and_pydantic_errors(client, creds):
    response = client.post("/api/v1/users", headers=creds.header("admin"),
                           json={"name": "eve", "password": "short-1", "role": "root"})
    assert response.status_code == 422 and response.json["error"] == "validation_failed"
    assert {tuple(d["loc"]) for d in response.json["detail"]} == {("password",), ("role",)}
    # the rejected password is never sent back
    assert "short-1" not in response.get_data(as_text=True)


def test_it_answers_an_invalid_query_with_422(client, creds):
    response = client.get("/api/v1/audit?limit=many", headers=creds.header("admin"))
    assert response.status_code == 422 and response.json["detail"][0]["loc"] == ["limit"]


def test_it_answers_unknown_fields_with_422(client, creds):
    response = client.post("/api/v1/tokens", headers=creds.header("admin"),
                           json={"name": "x", "role": "viewer", "admin": True})
    assert response.status_code == 422 and response.json["detail"][0]["type"] == "extra_forbidden"


def test_it_answers_a_crash_with_an_enveloped_500_and_logs_it(app, creds, monkeypatch, caplog):
    from console import auth

    def crash(db):
        raise RuntimeError("bug in listing users")

    app.testing = False  # as in production: the error is handled, not raised into the test
    monkeypatch.setattr(auth, "list_users", crash)
    response = app.test_client().get("/api/v1/users", headers=creds.header("admin"))
    assert response.status_code == 500
    assert response.json == {"error": "internal", "detail": "the console failed to answer; see its log"}
    assert "bug in listing users" in caplog.text
