"""deploy/k8s: rendered as kustomize would, server-side applied to the real apiserver, the shop Running on kwok;
the console's ServiceAccount may scale a Deployment and hold the loop's Lease, but not delete the Deployment."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kubernetes import client

from console.scaling import kubelease
from console.scaling.executors.kubernetes import KubernetesExecutor
from deploy.kustomize import KustomizeError, apply, render
from kit import eventually
from kubernetes_kit import KUBE_TIMEOUT

MANIFESTS = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
SHOP = ("gateway", "catalog", "orders", "inventory", "payments")
NAMESPACE = "opsconsole"


def _by_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_it_renders_every_object_into_the_namespace():
    objects = render(MANIFESTS)
    assert objects[0]["kind"] == "Namespace"
    assert all(o["metadata"]["namespace"] == NAMESPACE for o in objects[1:])
    assert set(_by_kind(objects, "Deployment")) == {*SHOP, "redis", "opsconsole"}
    assert set(_by_kind(objects, "PodDisruptionBudget")) == {*SHOP, "opsconsole"}
    assert set(_by_kind(objects, "Service")) >= {*SHOP, "redis", "opsconsole"}


@pytest.mark.parametrize("name", SHOP)
def test_it_gives_each_shop_service_probes_requests_and_scrape_annotations(name):
    spec = _by_kind(render(MANIFESTS), "Deployment")[name]["spec"]["template"]
    container = spec["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert set(container["resources"]["requests"]) == {"cpu", "memory"}
    assert spec["metadata"]["annotations"]["prometheus.io/scrape"] == "true"


def test_it_grants_the_console_exactly_what_the_executor_and_the_lease_need():
    objects = render(MANIFESTS)
    console = _by_kind(objects, "Deployment")["opsconsole"]["spec"]
    assert console["replicas"] == 2 and console["template"]["spec"]["serviceAccountName"] == "opsconsole"
    rules = {(r["apiGroups"][0], res): tuple(r["verbs"]) for r in _by_kind(objects, "Role")["opsconsole-scaler"]["rules"]
             for res in r["resources"]}
    assert rules == {("apps", "deployments"): ("get", "list", "watch"), ("", "pods"): ("get", "list", "watch"),
                     ("apps", "deployments/scale"): ("get", "update", "patch"),
                     ("autoscaling", "horizontalpodautoscalers"): ("list",),
                     ("coordination.k8s.io", "leases"): ("get", "create", "update")}
    binding = _by_kind(objects, "RoleBinding")["opsconsole-scaler"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "opsconsole", "namespace": NAMESPACE}]


def test_it_refuses_a_kustomization_field_it_does_not_render(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: []\npatches: [{path: p.yaml}]\n")
    with pytest.raises(KustomizeError, match="patches"):
        render(tmp_path)


@pytest.fixture(scope="module")
def applied(admin):
    """deploy/k8s server-side applied (twice: the second finds nothing to fight over); the namespace removed after."""
    objects = render(MANIFESTS)
    first = apply(admin, objects)
    second = apply(admin, render(MANIFESTS))
    yield first, second
    client.CoreV1Api(admin).delete_namespace(NAMESPACE)


@pytest.mark.stack
@pytest.mark.timeout(KUBE_TIMEOUT)
def test_it_applies_cleanly_and_runs_the_shop_on_kwok_nodes(applied, admin):
    first, second = applied
    assert first == second and "Role/opsconsole-scaler" in first
    apps = client.AppsV1Api(admin)

    def all_ready():
        deployments = {d.metadata.name: d for d in apps.list_namespaced_deployment(NAMESPACE).items}
        return all((deployments[n].status.ready_replicas or 0) == deployments[n].spec.replicas for n in SHOP)

    eventually(all_ready, timeout=90, what="every shop Deployment ready")
    pods = client.CoreV1Api(admin).list_namespaced_pod(NAMESPACE).items
    assert pods and all(p.status.phase == "Running" and p.spec.node_name.startswith("kwok-node-") for p in pods)


@pytest.mark.stack
@pytest.mark.timeout(KUBE_TIMEOUT)
def test_it_lets_the_console_scale_but_not_delete(applied, admin):
    token = client.CoreV1Api(admin).create_namespaced_service_account_token(
        "opsconsole", NAMESPACE, client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[])))
    configuration = client.Configuration()
    configuration.host, configuration.ssl_ca_cert = admin.configuration.host, admin.configuration.ssl_ca_cert
    configuration.api_key = {"authorization": f"Bearer {token.status.token}"}
    executor = KubernetesExecutor(client.ApiClient(configuration), NAMESPACE)
    try:
        executor.scale("catalog", 3)
        eventually(lambda: executor.replicas("catalog") == (3, 3), timeout=60, what="catalog 3/3 as the console sees it")
        with pytest.raises(client.exceptions.ApiException) as refused:
            client.AppsV1Api(executor.api_client).delete_namespaced_deployment("catalog", NAMESPACE)
        assert refused.value.status == 403
        leases = kubelease.Leases(executor.api_client, NAMESPACE)  # and it may hold the loop's Lease
        now = datetime.now(UTC)
        assert kubelease.acquire(leases, "console-0", now, timedelta(seconds=3))
        assert kubelease.acquire(leases, "console-0", now + timedelta(seconds=1), timedelta(seconds=3))
    finally:
        executor.close()
    assert client.AppsV1Api(admin).read_namespaced_deployment("catalog", NAMESPACE).spec.replicas == 3
