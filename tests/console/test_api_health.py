import time

import pytest

from console import auth, store


def viewer_header(app) -> dict[str, str]:
    """A bearer header for a fresh viewer token of ``app``."""
    with app.app_context():
        token, _ = auth.create_token(store.session(), role="viewer", name="health-check")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def app(make_app, tmp_path):
    return make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'console.db'}")


def test_it_needs_a_token(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 401 and response.json["error"] == "unauthenticated"



def test_it_reports_every_backend_up(app, client):
    response = client.get("/api/v1/health", headers=viewer_header(app))
    assert response.status_code == 200
    body = response.json
    assert body["healthy"] is True
    assert [b["name"] for b in body["backends"]] == ["prometheus", "alertmanager", "elasticsearch", "jaeger"]
    for backend in body["backends"]:
        assert set(backend) == {"name", "url", "healthy", "latency_ms", "detail"}
        assert backend["healthy"] is True and backend["latency_ms"] >= 0


def test_it_reports_a_down_backend_quickly(make_app, closed_port, tmp_path):
    app = make_app(ELASTICSEARCH_URL=f"http://127.0.0.1:{closed_port}", DATABASE_URL=f"sqlite:///{tmp_path / 'db'}")
    headers = viewer_header(app)
    started = time.monotonic()
    body = app.test_client().get("/api/v1/health", headers=headers).json
    assert time.monotonic() - started < 2
    assert body["healthy"] is False
    down = [b for b in body["backends"] if not b["healthy"]]
    assert [b["name"] for b in down] == ["elasticsearch"] and down[0]["latency_ms"] is None


def test_it_answers_an_unknown_api_path_with_a_json_404(client):
    response = client.get("/api/v1/nope")
    assert response.status_code == 404 and response.is_json
    assert response.json["error"] == "not_found" and response.json["detail"]


def test_it_answers_a_wrong_method_with_a_json_405(client):
    response = client.delete("/api/v1/health")
    assert response.status_code == 405 and response.json["error"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


# a crash's enveloped 500 is tested in tests/web/test_api_errors.py, through a declared endpoint


def test_it_leaves_html_errors_outside_the_api(client):
    response = client.get("/nope")
    assert response.status_code == 404 and not response.is_json
