import time


def test_it_reports_every_backend_up(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json
    assert body["healthy"] is True
    assert [b["name"] for b in body["backends"]] == ["prometheus", "alertmanager", "elasticsearch", "jaeger"]
    for backend in body["backends"]:
        assert set(backend) == {"name", "url", "healthy", "latency_ms", "detail"}
        assert backend["healthy"] is True and backend["latency_ms"] >= 0


def test_it_reports_a_down_backend_quickly(make_app, closed_port):
    app = make_app(ELASTICSEARCH_URL=f"http://127.0.0.1:{closed_port}")
    started = time.monotonic()
    body = app.test_client().get("/api/v1/health").json
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


def test_it_answers_a_crash_with_a_json_500(make_app):
    app = make_app(TESTING=False)

    @app.get("/api/v1/crash")
    def crash():
        raise RuntimeError("bug")

    response = app.test_client().get("/api/v1/crash")
    assert response.status_code == 500
    assert response.json == {"error": "internal", "detail": "the console failed to answer; see its log"}


def test_it_leaves_html_errors_outside_the_api(client):
    response = client.get("/nope")
    assert response.status_code == 404 and not response.is_json
