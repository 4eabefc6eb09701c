"""Predictive scaling on a fortnight of the shop's diurnal history, backfilled into a Prometheus of the test's own:
the forecast's error on the held-out day, and the backtest API replaying a reactive and a predictive policy."""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from console import auth, create_app, store
from console.backends import close_backends
from console.backends.prometheus import Prometheus
from console.scaling import EXTENSION, recorded
from console.scaling.forecaster import Forecaster
from console.scaling.forecast import DAY, wape
from console.scaling.policy import validate_policy
from deploy.local.layout import HOST, Layout
from sample_services.backfill import HEAD_BLOCK, create_blocks
from kit import PASSWORD, OwnPrometheus, browser_page, free_port, serving
from scalekit import MemoryExecutor

PEAK_RPS = 100.0
PER_REPLICA = 10.0
STEP = 60
RPS = "sum by (replica) (rate(http_requests_total{service=\"gateway\",history=\"backfill\"}[10m]))"


def policy_document(name: str, predictive: dict | None = None) -> dict:
    """Requests per second on the backfilled gateway, 10 a replica; predictive when asked."""
    spec = {"scaleTargetRef": {"name": "gateway"}, "minReplicas": 1, "maxReplicas": 20,
            "metrics": [{"type": "Pods", "pods": {"metric": {"name": "rps"}, "query": RPS,
                                                  "target": {"type": "AverageValue", "averageValue": PER_REPLICA}}}]}
    if predictive is not None:
        spec["predictive"] = {"metric": "rps", **predictive}
    return {"apiVersion": "opsconsole/v1", "kind": "ScalingPolicy", "metadata": {"name": name}, "spec": spec}


@dataclasses.dataclass(frozen=True)
class History:
    url: str
    start: float  # the first of the fourteen days
    end: float  # the end of the held-out day


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Iterator[History]:
    """Fourteen days of the shop ending hours ago, written as blocks before our Prometheus starts (it loads them
    at once, where a running one waits for its next block reload)."""
    tmp = tmp_path_factory.mktemp("predictive")
    layout = Layout(tmp)
    end = (datetime.now(UTC) - HEAD_BLOCK - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=14)
    create_blocks(layout.data / "prometheus", start, end, step_s=STEP, peak_rps=PEAK_RPS)
    port = free_port()
    config = tmp / "prometheus.yml"
    config.write_text(yaml.safe_dump({"global": {"scrape_interval": "15s"}}))
    argv = ["/usr/bin/prometheus", f"--config.file={config}", f"--storage.tsdb.path={layout.data / 'prometheus'}",
            f"--web.listen-address={HOST}:{port}", "--storage.tsdb.retention.time=60d"]
    prometheus = OwnPrometheus(f"http://{HOST}:{port}", tmp, argv, tmp / "prometheus.log")
    prometheus.start()
    try:
        yield History(prometheus.url, start.timestamp(), end.timestamp())
    finally:
        prometheus.stop()


def test_it_forecasts_the_held_out_day_within_fifteen_percent(history):
    policy = validate_policy(policy_document("gateway", {"mode": "forecastOnly"}))
    held_out = history.end - DAY
    client = Prometheus(history.url, timeout=30)
    try:
        past = recorded.forecast_history(client, policy, held_out, history.end)
        actual = recorded.loads(client, policy, held_out, history.end - STEP, 300)["rps"]
    finally:
        client.close()
    assert past[0][0] <= history.start + 15 * 60 and len(actual) == DAY / 300
    forecaster = Forecaster(policy, past, refit_seconds=DAY)  # one fit on the thirteen days before
    model = forecaster.model_at(held_out)
    assert model.fitted_until < held_out
    error = wape([v for _, v in actual], model.predict([t for t, _ in actual]))
    print(f"\nWAPE on the held-out day: {error:.1%}")
    assert error <= 0.15


def queries_run(url: str) -> int:
    """How many queries Prometheus has evaluated, from its own metrics (read without a query)."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        if family.name == "prometheus_engine_query_duration_seconds":
            return int(next(s.value for s in family.samples
                            if s.name.endswith("_count") and s.labels.get("slice") == "prepare_time"))
    raise AssertionError("Prometheus exposes no query count")


def test_a_comparison_reads_each_range_query_once(history):
    reactive = validate_policy(policy_document("gateway"))
    ahead = validate_policy(policy_document("gateway-predictive", {"mode": "forecastAndScale", "leadSeconds": 600}))
    start, end = history.end - DAY, history.end - STEP
    client = Prometheus(history.url, timeout=30)
    try:
        before = queries_run(history.url)
        together = recorded.compare(client, [reactive, ahead], start, end, STEP)
        shared = queries_run(history.url) - before
        apart = [recorded.backtest(client, p, start, end, STEP) for p in (reactive, ahead)]
        alone = queries_run(history.url) - before - shared
    finally:
        client.close()
    assert [run.ticks for run in together] == [run.ticks for run in apart]
    # apart: the load twice and the forecast's history; together: the load once
    assert (alone, shared) == (3, 2)


@pytest.fixture
def console(history, tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "PROMETHEUS_URL": history.url, "BACKEND_TIMEOUT": 30,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}", "SCALING_HOME": str(tmp_path / "home"),
                      "SCALING_POLICIES_DIR": str(tmp_path)})
    app.extensions[EXTENSION] = MemoryExecutor({"gateway": 1})
    with app.app_context():
        token, _ = auth.create_token(store.session(), role="viewer", name="viewer")
    yield app, {"Authorization": f"Bearer {token}"}
    close_backends(app)
    store.get_engine(app).dispose()


def test_the_backtest_shows_predictive_scaling_ahead_of_the_load(console, history):
    app, viewer = console
    with app.app_context():
        from console.scaling import service

        record = service.save_policy(store.session(), validate_policy(policy_document("gateway")), actor="test")
        policy_id = record.id
    ahead = policy_document("gateway-predictive", {"mode": "forecastAndScale", "leadSeconds": 600})
    held_out = history.end - DAY
    body = {"start": datetime.fromtimestamp(held_out, UTC).isoformat(),
            "end": datetime.fromtimestamp(history.end - STEP, UTC).isoformat(),
            "step": STEP, "initial_replicas": 2, "startup_seconds": 60, "compare": ahead}
    answer = app.test_client().post(f"/api/v1/scaling/policies/{policy_id}/backtest", json=body, headers=viewer)
    assert answer.status_code == 200, answer.get_json()
    reactive, predictive = answer.get_json()["runs"]
    assert (reactive["policy"], predictive["policy"]) == ("gateway", "gateway-predictive")
    assert len(reactive["at"]) == DAY / STEP
    assert reactive["forecast_wape"] is None and predictive["forecast_wape"] <= 0.15
    peak = max(v for v in reactive["load"] if v is not None)
    # the reactive policy follows the day, up to the peak less the engine's 10 % tolerance
    assert math.ceil(peak / (1.1 * PER_REPLICA)) <= max(reactive["replicas"]) <= math.ceil(peak / PER_REPLICA)
    print(f"\nunder-provisioned: reactive {reactive['under_provisioned_seconds']:.0f} s, predictive "
          f"{predictive['under_provisioned_seconds']:.0f} s; replica-hours {reactive['replica_hours']:.1f} against "
          f"{predictive['replica_hours']:.1f}; forecast WAPE {predictive['forecast_wape']:.1%}")
    assert reactive["under_provisioned_seconds"] > 1800
    assert predictive["under_provisioned_seconds"] <= reactive["under_provisioned_seconds"] / 2
    assert predictive["replica_hours"] <= 1.1 * reactive["replica_hours"]


@pytest.mark.parametrize(("body", "status"), [
    pytest.param({"step": 0}, 422, id="zero step"),
    pytest.param({"start": "2025-01-02T00:00:00Z", "end": "2025-01-01T00:00:00Z"}, 422, id="end before start"),
    pytest.param({"step": 1, "start": "2025-01-01T00:00:00Z", "end": "2025-01-31T00:00:00Z"}, 422,
                 id="too many points"),
    pytest.param({"compare": {"metadata": {"name": "x"}}}, 422, id="a compared policy that does not validate"),
])
def test_it_refuses_a_bad_backtest(console, body, status):
    app, viewer = console
    with app.app_context():
        from console.scaling import service

        policy_id = service.save_policy(store.session(), validate_policy(policy_document("gateway")), actor="t").id
    answer = app.test_client().post(f"/api/v1/scaling/policies/{policy_id}/backtest", json=body, headers=viewer)
    assert answer.status_code == status
    assert answer.get_json()["error"]


def test_it_answers_404_for_an_unknown_policy_and_401_without_a_token(console):
    app, viewer = console
    client = app.test_client()
    assert client.post("/api/v1/scaling/policies/999/backtest", json={}, headers=viewer).status_code == 404
    assert client.post("/api/v1/scaling/policies/999/backtest", json={}).status_code == 401


def test_it_answers_503_when_prometheus_is_down(tmp_path, closed_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "PROMETHEUS_URL": closed_url,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}", "SCALING_HOME": str(tmp_path / "home"),
                      "SCALING_POLICIES_DIR": str(tmp_path)})
    app.extensions[EXTENSION] = MemoryExecutor({"gateway": 1})
    try:
        with app.app_context():
            from console.scaling import service

            token, _ = auth.create_token(store.session(), role="viewer", name="viewer")
            policy_id = service.save_policy(store.session(), validate_policy(policy_document("gateway")),
                                            actor="t").id
        answer = app.test_client().post(f"/api/v1/scaling/policies/{policy_id}/backtest", json={},
                                        headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 503
    finally:
        close_backends(app)
        store.get_engine(app).dispose()


def test_the_loop_acts_on_the_forecast_the_backtest_replays(console, history):
    from console.scaling.loop import Loop
    from console.scaling.models import ScaleRecord

    app, _ = console
    ahead = validate_policy(policy_document("gateway", {"mode": "forecastAndScale", "leadSeconds": 600}))
    with app.app_context():
        from console.scaling import service

        service.save_policy(store.session(), ahead, actor="test")
    # mid-morning of the held-out day, the load climbing towards the afternoon peak
    now = datetime.fromtimestamp(history.end - DAY, UTC).replace(hour=11, minute=7)
    loop = Loop(app, period=15, holder="test")
    [record] = loop.tick(now)
    client = Prometheus(history.url, timeout=30)
    try:
        replayed = Forecaster(ahead, recorded.forecast_history(client, ahead, now.timestamp(), now.timestamp()))
    finally:
        client.close()
    wanted = replayed.replicas_at(now.timestamp())
    assert isinstance(record, ScaleRecord) and record.result == "applied"
    assert record.detail["forecast"] == wanted
    assert record.to_replicas >= wanted > 1
    assert app.extensions[EXTENSION].counts["gateway"] == record.to_replicas


def test_the_backtest_page_charts_both_policies_and_the_forecast(console, history, artifacts):
    from playwright.sync_api import expect

    from console.correlate.window import iso
    app, _ = console
    with app.app_context():
        from console.scaling import service

        service.save_policy(store.session(), validate_policy(policy_document("gateway")), actor="test")
        auth.create_user(store.session(), name="charlie", password=PASSWORD, role="viewer")
    held_out = datetime.fromtimestamp(history.end - DAY, UTC)
    span = f"range=custom&start={iso(held_out)}&end={iso(held_out + timedelta(days=1))}"
    with serving(app) as url, browser_page(url, "charlie") as page:
        page.goto(f"{url}/scaling/gateway")
        page.click("text=backtest")
        page.goto(f"{page.url}?{span}&startup=60")
        page.wait_for_selector("#backtest-chart canvas")
        rows = page.locator("#backtest-summary tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text("gateway")
        expect(rows.nth(1)).to_contain_text("gateway-predictive")
        expect(rows.nth(1).locator("td").nth(4)).to_contain_text("%")
        expect(page.locator(".u-legend")).to_contain_text("forecast")
        page.screenshot(path=artifacts / "scaling-backtest.png", full_page=True)
