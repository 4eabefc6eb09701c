"""The scaling loop's leader chosen by a coordination.k8s.io Lease on the real apiserver.

First the rule with explicit times, then two real loops (APScheduler, period 2 s) sharing one
Lease: one leads; its scheduler is stopped without handing the Lease over, as a killed console
would leave it, and the other acts within two periods.
"""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from kubernetes import client

from console import create_app, store
from console.backends import close_backends
from console.scaling import EXTENSION, kubelease
from console.scaling.lease import Lease
from console.scaling.loop import Loop
from kit import eventually
from kubernetes_kit import KUBE_TIMEOUT, deployment

pytestmark = [pytest.mark.stack, pytest.mark.timeout(KUBE_TIMEOUT)]

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
TTL = timedelta(seconds=3)
PERIOD = 2.0
SLACK = 1.0  # the test's own polling and the new leader's API calls, on top of the two periods
POLICY = """\
apiVersion: opsconsole/v1
kind: ScalingPolicy
metadata: {name: lead}
spec:
  scaleTargetRef: {kind: Deployment, name: lead}
  minReplicas: 2
  maxReplicas: 3
"""


@pytest.fixture
def leases(admin, namespace) -> kubelease.Leases:
    return kubelease.Leases(admin, namespace)


def test_it_gives_the_lease_to_one_holder_until_it_expires(leases):
    assert kubelease.acquire(leases, "a", T0, TTL)
    assert not kubelease.acquire(leases, "b", T0 + timedelta(seconds=1), TTL)
    assert kubelease.acquire(leases, "a", T0 + timedelta(seconds=2), TTL)  # renewed: now until T0 + 5 s
    assert not kubelease.acquire(leases, "b", T0 + timedelta(seconds=4), TTL)
    assert kubelease.holder_of(leases) == Lease("a", T0 + timedelta(seconds=5))
    assert kubelease.acquire(leases, "b", T0 + timedelta(seconds=5), TTL)
    assert kubelease.holder_of(leases).holder == "b"
    stored = client.CoordinationV1Api(leases.api_client).read_namespaced_lease("scaling-loop", leases.namespace)
    assert stored.spec.lease_transitions == 1


def test_it_hands_the_lease_over_at_once_on_release(leases):
    assert kubelease.acquire(leases, "a", T0, TTL)
    kubelease.release(leases, "b", T0)  # not b's to give
    assert not kubelease.acquire(leases, "b", T0 + timedelta(seconds=1), TTL)
    kubelease.release(leases, "a", T0 + timedelta(seconds=1))
    assert kubelease.holder_of(leases) is None
    assert kubelease.acquire(leases, "b", T0 + timedelta(seconds=1), TTL)


def test_it_lets_one_of_two_racing_writers_win(leases):
    assert kubelease.acquire(leases, "a", T0, TTL)
    stale = client.CoordinationV1Api(leases.api_client).read_namespaced_lease("scaling-loop", leases.namespace)
    assert kubelease.acquire(leases, "b", T0 + timedelta(seconds=4), TTL)  # a's lease expired: b takes it
    stale.spec.holder_identity = "c"  # c read before b wrote: its write (with what it read) must lose
    assert kubelease._replace(leases, stale) is False
    assert kubelease.holder_of(leases).holder == "b"


@pytest.fixture
def consoles(control_plane, admin, namespace, tmp_path, closed_url):
    """Two console apps on one database whose executor is this namespace: the Lease lives there too."""
    client.AppsV1Api(admin).create_namespaced_deployment(namespace, deployment("lead", replicas=1))
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "lead.yml").write_text(POLICY)
    settings = {"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.db'}",
                "PROMETHEUS_URL": closed_url, "ALERTMANAGER_URL": closed_url,
                "SCALING_POLICIES_DIR": str(tmp_path / "policies"), "SCALING_EXECUTOR": "kubernetes",
                "SCALING_KUBECONFIG": str(control_plane.layout.kubeconfig), "SCALING_NAMESPACE": namespace}
    apps = [create_app(settings), create_app(settings)]
    loops = [Loop(app, period=PERIOD, holder=f"console-{n}") for n, app in enumerate(apps)]
    yield loops
    for loop in loops:
        if loop._scheduler is not None:
            loop.stop()
    for app in apps:
        app.extensions[EXTENSION].close()
        close_backends(app)
        store.get_engine(app).dispose()


def test_it_lets_the_other_loop_act_within_two_periods_of_the_leader_dying(consoles, admin, namespace):
    apps_api = client.AppsV1Api(admin)
    leases = kubelease.Leases(admin, namespace)
    for loop in consoles:
        loop.start()
    eventually(lambda: apps_api.read_namespaced_deployment_scale("lead", namespace).spec.replicas == 2,
               timeout=4 * PERIOD, interval=0.1, what="the leader scales lead 1 -> 2 (minReplicas)")
    leader = next(loop for loop in consoles if loop.holder == kubelease.holder_of(leases).holder)
    follower = next(loop for loop in consoles if loop is not leader)
    assert not follower.campaign(datetime.now(UTC))

    leader._scheduler.shutdown(wait=True)  # dead: no more renewals, and no hand-over
    leader._scheduler = None
    died = time.monotonic()
    # drift while nobody leads; the next leader must put it right
    apps_api.patch_namespaced_deployment_scale("lead", namespace, {"spec": {"replicas": 1}})
    eventually(lambda: apps_api.read_namespaced_deployment_scale("lead", namespace).spec.replicas == 2,
               timeout=2 * PERIOD + 5, interval=0.05, what="the follower scales lead back to 2")
    took = time.monotonic() - died
    assert kubelease.holder_of(leases).holder == follower.holder
    print(f"\nleader dead -> the other loop acted after {took:.2f} s (period {PERIOD:.0f} s)")
    assert took <= 2 * PERIOD + SLACK
