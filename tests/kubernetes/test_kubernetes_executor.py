"""The Kubernetes executor against the real apiserver: scale subresource, pods Running on kwok, HPA refusal, 409s."""
from __future__ import annotations

import time

import pytest
from kubernetes import client

from console import auth, create_app, store
from console.backends import close_backends
from console.scaling.executors import UnknownWorkload
from console.scaling.executors.kubernetes import KubernetesExecutor, OwnedByAutoscaler, ScaleConflict
from kit import eventually
from kubernetes_kit import KUBE_TIMEOUT, deployment, running_pods

pytestmark = [pytest.mark.stack, pytest.mark.timeout(KUBE_TIMEOUT)]

POLICY = {"apiVersion": "opsconsole/v1", "kind": "ScalingPolicy", "metadata": {"name": "web"},
          "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 1, "maxReplicas": 5,
                   "metrics": [{"type": "External", "external": {
                       "metric": {"name": "http_requests_per_second"},
                       "target": {"type": "AverageValue", "averageValue": "20"}}}]}}


@pytest.fixture
def web(admin, namespace) -> str:
    """A Deployment ``web`` of one pod in the test's namespace, its pod ready (the controllers done writing it)."""
    apps = client.AppsV1Api(admin)
    apps.create_namespaced_deployment(namespace, deployment("web", replicas=1))

    def settled():
        status = apps.read_namespaced_deployment_status("web", namespace).status
        return status.ready_replicas == 1 and status.updated_replicas == 1

    eventually(settled, timeout=60, what="web's pod ready")
    return namespace


@pytest.fixture
def executor(control_plane, web):
    from kubernetes import config

    made = KubernetesExecutor(config.new_client_from_config(str(control_plane.layout.kubeconfig)), web)
    yield made
    made.close()


def test_it_scales_a_deployment_through_the_console_api_to_running_pods(control_plane, admin, web, tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
                      "SCALING_EXECUTOR": "kubernetes", "SCALING_KUBECONFIG": str(control_plane.layout.kubeconfig),
                      "SCALING_NAMESPACE": web})
    try:
        with app.app_context():
            token = auth.create_token(store.session(), role="operator", name="ci")[0]
        http, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
        assert http.post("/api/v1/scaling/policies", json=POLICY, headers=headers).status_code in (200, 201)
        began = time.monotonic()
        out = http.post("/api/v1/scale", json={"target": "web", "replicas": 3, "reason": "test"}, headers=headers)
        assert (out.status_code, out.json["from_replicas"], out.json["result"]) == (200, 1, "applied"), out.json
        eventually(lambda: http.get("/api/v1/scale/web", headers=headers).json["ready"] == 3, timeout=60,
                   what="3 ready replicas of web")
        took = time.monotonic() - began
        pods = running_pods(admin, web, "app=web")
        assert len(pods) == 3 and all(p.spec.node_name.startswith("kwok-node-") for p in pods)
        print(f"\nweb 1 -> 3 through the scale subresource: 3 pods Running and ready after {took:.1f} s")
    finally:
        app.extensions["opsconsole.scaling"].close()
        close_backends(app)
        store.get_engine(app).dispose()


def test_it_reads_desired_and_ready_replicas(executor):
    assert eventually(lambda: executor.replicas("web") == (1, 1), timeout=30, what="web 1/1")
    executor.scale("deployment/web", 2)
    assert executor.replicas("web")[0] == 2
    eventually(lambda: executor.replicas("web") == (2, 2), timeout=30, what="web 2/2")


def test_it_refuses_to_fight_an_hpa(executor, admin, web):
    hpa = client.V2HorizontalPodAutoscaler(
        metadata=client.V1ObjectMeta(name="web-hpa"),
        spec=client.V2HorizontalPodAutoscalerSpec(
            scale_target_ref=client.V2CrossVersionObjectReference(api_version="apps/v1", kind="Deployment", name="web"),
            min_replicas=1, max_replicas=4))
    client.AutoscalingV2Api(admin).create_namespaced_horizontal_pod_autoscaler(web, hpa)
    with pytest.raises(OwnedByAutoscaler) as refused:
        executor.scale("web", 3)
    assert refused.value.hpa == "web-hpa"
    assert "web-hpa" in str(refused.value)
    assert executor.replicas("web")[0] == 1


def test_it_retries_a_conflict_on_the_fresh_object(executor, admin, web):
    seen: list[str] = []

    def meddle(workload, scale):
        seen.append(scale.metadata.resource_version)
        if len(seen) == 1:  # another writer changes the Deployment between our read and our write
            client.AppsV1Api(admin).patch_namespaced_deployment(
                "web", web, {"metadata": {"annotations": {"touched-by": "someone-else"}}})

    executor.on_read = meddle
    executor.scale("web", 4)
    # the first write conflicted and the next read saw the other writer's version (the Deployment's own
    # controllers may bump it once more, which only adds an attempt)
    assert len(seen) >= 2 and seen[0] != seen[1]
    assert client.AppsV1Api(admin).read_namespaced_deployment_scale("web", web).spec.replicas == 4


def test_it_gives_up_when_every_write_conflicts(executor, admin, web):
    def meddle(workload, scale):
        client.AppsV1Api(admin).patch_namespaced_deployment(
            "web", web, {"metadata": {"annotations": {"touched-at": str(time.monotonic_ns())}}})

    executor.on_read = meddle
    with pytest.raises(ScaleConflict):
        executor.scale("web", 2)


def test_it_answers_lookup_error_for_a_missing_deployment(executor):
    with pytest.raises(UnknownWorkload, match="not found"):
        executor.replicas("nothing-here")
