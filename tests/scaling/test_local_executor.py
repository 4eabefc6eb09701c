"""The local executor on the real stack: the gateway scaled 1 -> 3 -> 1 through the scale API, no request lost.

The shop runs once for the module; load goes through nginx while the API scales in, and the
load generator's own tally is the measure.
"""
from __future__ import annotations

import threading

import pytest

from console import auth, create_app, store
from console.backends import close_backends
from console.scaling.executors.local import LocalExecutor
from deploy.local.nginx import config_dir
from sample_services.loadgen import LoadSummary, run_load

pytestmark = pytest.mark.stack


@pytest.fixture
def api(shop, tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}",
                      "SCALING_HOME": str(shop.layout.home), "PROMETHEUS_URL": shop.prometheus_url})
    with app.app_context():
        token = auth.create_token(store.session(), role="operator", name="ci")[0]
    yield app.test_client(), {"Authorization": f"Bearer {token}"}
    close_backends(app)
    store.get_engine(app).dispose()


def failures(summary: LoadSummary) -> dict[str, int]:
    """Server errors and transport errors; a 4xx is the shop's answer (e.g. out of stock), not a lost request."""
    return {k: n for k, n in summary.errors.items() if not k.isdigit() or k.startswith("5")}


def test_it_scales_the_gateway_out_and_in_without_failed_requests(shop, api):
    client, headers = api
    executor = LocalExecutor(shop.layout)
    out = client.post("/api/v1/scale", json={"target": "gateway", "replicas": 3, "reason": "scale out"},
                      headers=headers)
    assert (out.status_code, out.json["from_replicas"], out.json["result"]) == (200, 1, "applied"), out.json
    assert executor.replicas("gateway") == (3, 3)
    upstream = (config_dir(shop.layout) / "nginx.conf").read_text()
    assert upstream.count("max_fails=3") >= 3 + 4  # three gateways and one replica of each other service

    results: list[LoadSummary] = []
    load = threading.Thread(target=lambda: results.append(run_load(shop.gateway_url, "steady", rps=30, duration=8)))
    load.start()
    try:
        threading.Event().wait(2.0)  # load flowing to all three before the scale-in starts
        back = client.post("/api/v1/scale", json={"target": "gateway", "replicas": 1, "reason": "scale in"},
                           headers=headers)
    finally:
        load.join(timeout=30)
    assert (back.status_code, back.json["from_replicas"], back.json["to_replicas"]) == (200, 3, 1), back.json
    assert executor.replicas("gateway") == (1, 1)
    summary = results[0]
    assert summary.sent >= 150
    assert failures(summary) == {}, summary.lines()
