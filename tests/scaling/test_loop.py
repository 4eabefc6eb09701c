"""The scaling loop: two consoles on one database (only the leader acts, a takeover within two periods,
nothing applied twice), overrides respected, and a tick on the real stack scaling the gateway out.

The metric is real PromQL on the session's Prometheus; ``vector(60)`` makes "60 in all" a
constant so the decisions are known in advance.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from console import create_app, store
from console.backends import close_backends
from console.backends.prometheus import Prometheus
from console.correlate.window import iso
from console.scaling import EXTENSION, service
from console.scaling.executors.local import LocalExecutor
from console.scaling.loop import Loop, observe
from console.scaling.policy import load_policies
from console.scaling.models import RecommendationRecord, ScaleRecord
from kit import log_in
from sample_services.loadgen import run_load
from scalekit import constant_policy

pytestmark = pytest.mark.stack

T0 = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
PERIOD = 15.0
POLICY = constant_policy()


class SharedReplicas:
    """One set of replicas both consoles see and change, counting every scale applied to it."""

    def __init__(self, count: int):
        self.count = count
        self.calls: list[int] = []

    def replicas(self, target: str) -> tuple[int, int]:
        return self.count, self.count

    def scale(self, target: str, replicas: int) -> None:
        self.calls.append(replicas)
        self.count = replicas


def console(stack, database_url: str, policies, executor, name: str):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": database_url,
                      "PROMETHEUS_URL": stack.prometheus_url, "ALERTMANAGER_URL": stack.alertmanager_url,
                      "ELASTICSEARCH_URL": stack.elasticsearch_url, "JAEGER_URL": stack.jaeger_url,
                      "SCALING_POLICIES_DIR": str(policies)})
    app.extensions[EXTENSION] = executor
    return app, Loop(app, period=PERIOD, holder=name)


@pytest.fixture
def policies(tmp_path):
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "gateway.yml").write_text(POLICY)
    return tmp_path / "policies"


@pytest.fixture
def consoles(stack, database_url, policies) -> Iterator[tuple[Loop, Loop, SharedReplicas]]:
    replicas = SharedReplicas(1)
    (a_app, a), (b_app, b) = (console(stack, database_url, policies, replicas, n) for n in ("a", "b"))
    yield a, b, replicas
    for app in (a_app, b_app):
        close_backends(app)
        store.get_engine(app).dispose()


def auto_records(loop: Loop) -> list[tuple[int, int, str]]:
    with loop.app.app_context():
        rows = store.session().scalars(select(ScaleRecord).where(ScaleRecord.kind == "auto"))
        return [(r.from_replicas, r.to_replicas, r.result) for r in rows]


def test_it_lets_only_the_leader_act_and_hands_over_within_two_periods(consoles):
    a, b, replicas = consoles
    assert [(r.from_replicas, r.to_replicas) for r in a.tick(T0)] == [(1, 3)]
    assert b.tick(T0 + timedelta(seconds=1)) == []
    assert a.tick(T0 + timedelta(seconds=PERIOD)) == []  # still the leader; 3 is what it asks for
    # a dies after its tick at T0 + 15 s: b's lease attempts (every half period) find it held until T0 + 37.5 s
    assert not b.campaign(T0 + timedelta(seconds=30))
    assert b.campaign(T0 + timedelta(seconds=37.5))
    assert b.tick(T0 + timedelta(seconds=2 * PERIOD + PERIOD)) == []  # the leader now, and 3 is already there
    assert a.tick(T0 + timedelta(seconds=46)) == []  # back from the dead: a follower
    assert replicas.calls == [3]
    assert auto_records(a) == [(1, 3, "applied")]


def test_it_applies_a_repeated_tick_once(consoles):
    a, _b, replicas = consoles
    a.tick(T0)
    a.tick(T0)
    assert replicas.calls == [3]
    with a.app.app_context():
        recommended = store.session().scalars(select(RecommendationRecord.replicas)).all()
    assert recommended == [3, 3]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_it_leaves_a_target_under_a_manual_override_alone(consoles):
    a, _b, replicas = consoles
    with a.app.app_context():
        service.scale(store.session(), replicas, target="gateway", replicas=2, reason="by hand", dry_run=False,
                      actor="bob", now=T0, override_seconds=60)
    assert a.tick(T0 + timedelta(seconds=30)) == []
    assert [(r.from_replicas, r.to_replicas) for r in a.tick(T0 + timedelta(seconds=61))] == [(2, 3)]
    assert replicas.calls == [2, 3]


def test_it_scales_the_gateway_out_on_its_request_rate(shop, tmp_path, policies):
    (policies / "gateway.yml").write_text(POLICY.replace("""    - type: External
      external:
        metric: {name: constant_load}
        query: vector(60)
        target: {type: AverageValue, averageValue: "20"}""", """    - type: Pods
      pods:
        metric: {name: http_requests_per_second}
        target: {type: AverageValue, averageValue: 10m}
  behavior:
    scaleUp:
      policies: [{type: Pods, value: 1, periodSeconds: 15}]"""))
    executor = LocalExecutor(shop.layout)
    app, loop = console(shop, f"sqlite:///{tmp_path / 'console.db'}", policies, executor, "solo")
    load = threading.Thread(target=run_load, args=(shop.gateway_url, "steady", 10, 8))
    load.start()
    try:
        deadline, acted = time.monotonic() + 30, []
        while not acted and time.monotonic() < deadline:
            # far over 0.01 requests per second and replica once Prometheus has two scrapes of the load
            acted = loop.tick(datetime.now(UTC))
            time.sleep(1.0)
    finally:
        load.join(timeout=30)
        close_backends(app)
        store.get_engine(app).dispose()
    assert [(r.from_replicas, r.to_replicas, r.result) for r in acted] == [(1, 2, "applied")], acted
    assert executor.replicas("gateway") == (2, 2)


def test_it_reads_the_replicas_cpu_for_the_shipped_catalog_policy(shop):
    (catalog,) = [p for p in load_policies(Path(__file__).parents[2] / "rules" / "scaling") if p.target == "catalog"]
    prometheus = Prometheus(shop.prometheus_url, timeout=5)
    try:
        deadline, observed = time.monotonic() + 30, {}
        # rate() over a minute answers once two scrapes of the replica's process counters are stored
        while not observed.get("cpu") and time.monotonic() < deadline:
            observed = observe(prometheus, catalog, datetime.now(UTC))
            time.sleep(1.0)
    finally:
        prometheus.close()
    # a replica stopped by an earlier test keeps a rate for the minute its last samples stay in the window
    assert observed["cpu"] and all(v >= 0 for v in observed["cpu"]), observed


def test_it_adds_the_step_of_an_alert_firing_in_alertmanager_and_says_so_in_what_happened(stack, tmp_path, policies):
    alert = f"GatewaySaturated{uuid.uuid4().hex[:8]}"
    (policies / "gateway.yml").write_text(POLICY.replace('averageValue: "20"', 'averageValue: "60"')
                                          + f"  onAlert: [{{alert: {alert}, addReplicas: 2}}]\n")
    replicas = SharedReplicas(1)
    app, loop = console(stack, f"sqlite:///{tmp_path / 'console.db'}", policies, replicas, "solo")
    labels = {"alertname": alert, "service": "gateway", "severity": "page"}
    started = datetime.now(UTC) - timedelta(minutes=1)
    try:
        # the metric asks for one replica: without the alert there is nothing to do
        assert loop.tick(datetime.now(UTC)) == []
        httpx.post(f"{stack.alertmanager_url}/api/v2/alerts", json=[{"labels": labels, "startsAt": iso(started)}],
                   timeout=5).raise_for_status()
        acted = loop.tick(datetime.now(UTC))
        assert [(r.from_replicas, r.to_replicas, r.result) for r in acted] == [(1, 3, "applied")]
        assert f"alert {alert} fires: +2 -> 3" in acted[0].reason
        assert replicas.calls == [3]

        page = log_in(app).get("/services/gateway?range=15m").get_data(as_text=True)
        row = next(r for r in page.split("<tr>") if "1 → 3" in r)
        assert f"on alert {alert}" in row and "loop:solo (auto)" in row
        scaling_page = log_in(app, name="dora").get("/scaling/gateway").get_data(as_text=True)
        assert f"on alert {alert}" in scaling_page
    finally:
        httpx.post(f"{stack.alertmanager_url}/api/v2/alerts", timeout=5, json=[
            {"labels": labels, "startsAt": iso(started), "endsAt": iso(datetime.now(UTC))}])
        close_backends(app)
        store.get_engine(app).dispose()


def test_it_decides_for_each_grid_slot_once_catching_up_a_few_missed(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
                      "SCALING_POLICIES_DIR": str(tmp_path)})
    try:
        loop = Loop(app, period=PERIOD, holder="grid")
        assert loop.on_grid(T0 + timedelta(seconds=0.6)) == T0
        assert loop.on_grid(T0 + timedelta(seconds=0.4)) == T0 - timedelta(seconds=PERIOD)
        assert loop.due(T0) == [T0]  # nothing decided yet: the latest slot only
        loop.tick(T0)
        assert loop.due(T0) == []  # decided already
        slots = [T0 + timedelta(seconds=PERIOD * n) for n in range(1, 6)]
        assert loop.due(slots[-1]) == slots[-3:]  # a few missed slots caught up, not an afternoon of them
    finally:
        close_backends(app)
        store.get_engine(app).dispose()
