import re
import time

from prometheus_client.parser import text_string_to_metric_families

from console import auth, store
from console.correlate import gather


def _samples(client) -> dict:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for s in family.samples
    }


def test_it_counts_requests_by_route_method_and_status_like_the_shop(client):
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no/such/page")
    samples = _samples(client)
    ok = (("method", "GET"), ("route", "/healthz"), ("service", "opsconsole"), ("status", "200"))
    assert samples[("http_requests_total", ok)] == 2
    missing = (("method", "GET"), ("route", "unmatched"), ("service", "opsconsole"), ("status", "404"))
    assert samples[("http_requests_total", missing)] == 1
    count = (("method", "GET"), ("route", "/healthz"), ("service", "opsconsole"))
    assert samples[("http_request_duration_seconds_count", count)] == 2


def test_it_exports_backend_probe_results(make_app, closed_port):
    app = make_app(ALERTMANAGER_URL=f"http://127.0.0.1:{closed_port}")
    client = app.test_client()
    with app.app_context():
        token, _ = auth.create_token(store.session(), role="viewer", name="metrics-test")
    assert client.get("/api/v1/health", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    samples = _samples(client)
    assert samples[("opsconsole_backend_up", (("backend", "prometheus"),))] == 1
    assert samples[("opsconsole_backend_up", (("backend", "alertmanager"),))] == 0
    assert samples[("opsconsole_backend_probe_latency_seconds", (("backend", "prometheus"),))] > 0


def test_it_keeps_each_apps_metrics_apart(make_app):
    first, second = make_app(), make_app()
    first.test_client().get("/healthz")
    ok = (("method", "GET"), ("route", "/healthz"), ("service", "opsconsole"), ("status", "200"))
    assert ("http_requests_total", ok) not in _samples(second.test_client())


def _timings(response) -> dict[str, float]:
    """The ``Server-Timing`` metrics of ``response``: name -> milliseconds."""
    return {m[1]: float(m[2]) for m in re.finditer(r"(\w+);dur=([0-9.]+)", response.headers["Server-Timing"])}


def _server_ms(response) -> float:
    return _timings(response)["app"]


def test_it_tells_every_client_the_time_the_app_took(make_app):
    assert _server_ms(make_app().test_client().get("/healthz")) < 50
    app = make_app()
    app.before_request(lambda: time.sleep(0.05))
    client = app.test_client()
    assert _server_ms(client.get("/healthz")) >= 50
    # unknown paths and refusals carry it too: a slow 404 is as worth seeing as a slow page
    assert _server_ms(client.get("/no/such/page")) >= 50
    refused = client.get("/services")
    assert refused.status_code == 302 and _server_ms(refused) >= 0



def test_it_tells_how_long_a_view_waited_on_its_backend_queries(make_app, logged_in):
    app = make_app()

    @app.get("/fan-out")
    def fan_out():
        time.sleep(0.03)  # the view's own work
        # two queries of 50 and 80 ms at once, then one of 40 ms: 120 ms of waiting, not 170
        gather({"a": lambda: time.sleep(0.05), "b": lambda: time.sleep(0.08)}, timeout=5)
        gather({"c": lambda: time.sleep(0.04)}, timeout=5)
        return "done"

    client = logged_in(app)
    timings = _timings(client.get("/fan-out"))
    assert 120 <= timings["backends"] < 170
    assert timings["app"] >= timings["backends"] + 30
    # a view that asks no backend says nothing of backends
    assert "backends" not in _timings(client.get("/healthz"))
