"""Helpers of the Kubernetes tests: small workloads and what their pods are doing."""
from __future__ import annotations

from kubernetes import client

KUBE_TIMEOUT = 2700  # a cold build (20 min measured on two busy cores) fits in it; warm, a test takes seconds


def deployment(name: str, *, replicas: int = 1) -> client.V1Deployment:
    """A Deployment of ``replicas`` pods labelled ``app=name`` (kwok runs them: the image is never pulled)."""
    labels = {"app": name}
    container = client.V1Container(name=name, image="registry.invalid/opsconsole/hello:1")
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1DeploymentSpec(
            replicas=replicas, selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels=labels),
                                              spec=client.V1PodSpec(containers=[container]))))


def running_pods(api: client.ApiClient, namespace: str, selector: str) -> list[client.V1Pod]:
    """Pods matching ``selector`` that are Running and not being deleted."""
    pods = client.CoreV1Api(api).list_namespaced_pod(namespace, label_selector=selector).items
    return [p for p in pods if p.status.phase == "Running" and p.metadata.deletion_timestamp is None]
