from console.web.health import add_readiness_check


def test_it_is_alive(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_it_is_ready_with_its_config(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json == {"status": "ready"}


def test_it_stays_ready_when_every_backend_is_down(make_app, closed_port):
    down = f"http://127.0.0.1:{closed_port}"
    app = make_app(PROMETHEUS_URL=down, ALERTMANAGER_URL=down, ELASTICSEARCH_URL=down, JAEGER_URL=down)
    assert app.test_client().get("/readyz").status_code == 200


def test_it_is_unready_while_a_check_fails(app, client):
    add_readiness_check(app, "store", lambda: "migrations pending")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unready", "failing": {"store": "migrations pending"}}


def test_it_counts_a_crashing_check_as_unready(app, client):
    add_readiness_check(app, "store", lambda: 1 / 0)
    response = client.get("/readyz")
    assert response.status_code == 503 and "ZeroDivisionError" in response.json["failing"]["store"]
