"""Scale workloads on a Kubernetes apiserver through their scale subresource.

A target is ``NAME`` (a Deployment) or ``KIND/NAME`` with KIND one of deployment, statefulset,
replicaset, in the executor's namespace. ``replicas`` answers ``(spec.replicas, ready pods)``,
the ready pods found by the scale's own label selector, as the HorizontalPodAutoscaler counts
them. ``scale`` refuses a target that an ``autoscaling/v2`` HorizontalPodAutoscaler already
scales (two autoscalers would undo each other's work) and writes the scale with the
``resourceVersion`` it read, so a concurrent change is a 409 Conflict: it then reads the fresh
object and tries again, a few times.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from console.errors import BackendError, BackendUnavailable, ConfigError, Conflict
from console.scaling.executors import UnknownWorkload

__all__ = ["KIND_NAMES", "KubernetesExecutor", "OwnedByAutoscaler", "ScaleConflict", "Workload", "parse_target"]

# lower-case kind -> (Kind as HPAs name it, the AppsV1Api method stem)
KIND_NAMES = {"deployment": ("Deployment", "deployment"), "statefulset": ("StatefulSet", "stateful_set"),
              "replicaset": ("ReplicaSet", "replica_set")}
NAME = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?")
ATTEMPTS = 5  # writes tried on one scale before a run of 409s is given up as a fight
TIMEOUT = 10.0


class OwnedByAutoscaler(Conflict):
    """A HorizontalPodAutoscaler already scales the target: acting too would fight it."""

    def __init__(self, target: str, hpa: str):
        super().__init__(target, f"HorizontalPodAutoscaler {hpa!r} already scales it; delete it or drop this policy")
        self.hpa = hpa


class ScaleConflict(Conflict):
    """The target's scale kept changing under us: every write was a 409."""


@dataclass(frozen=True)
class Workload:
    """A parsed target: its Kind and name."""

    kind: str
    name: str

    @property
    def stem(self) -> str:
        return KIND_NAMES[self.kind.lower()][1]


def parse_target(target: str) -> Workload:
    """``NAME`` or ``KIND/NAME`` as a Workload; ``UnknownWorkload`` when it names no kind we scale."""
    kind, _, name = target.rpartition("/")
    kind = kind.lower() or "deployment"
    if kind not in KIND_NAMES or not NAME.fullmatch(name):
        raise UnknownWorkload(f"{target!r} is not NAME or KIND/NAME with KIND one of {', '.join(KIND_NAMES)}")
    return Workload(KIND_NAMES[kind][0], name)


def load_client(kubeconfig: str | Path | None) -> client.ApiClient:
    """An API client from ``kubeconfig``, or from the pod's service account when it is empty."""
    try:
        if kubeconfig:
            return config.new_client_from_config(str(kubeconfig))
        configuration = client.Configuration()
        config.load_incluster_config(client_configuration=configuration)
        return client.ApiClient(configuration)
    except (ConfigException, OSError) as e:
        key = "SCALING_KUBECONFIG"
        raise ConfigError(key, f"{kubeconfig or 'in-cluster config'}: {e}") from e


class KubernetesExecutor:
    """Workloads of one namespace; ``on_read`` is called between reading a scale and writing it (a seam for tests)."""

    def __init__(self, api_client: client.ApiClient, namespace: str = "default", *,
                 on_read: Callable[[Workload, client.V1Scale], None] | None = None):
        self.api_client = api_client
        self.namespace = namespace
        self.apps = client.AppsV1Api(api_client)
        self.core = client.CoreV1Api(api_client)
        self.autoscaling = client.AutoscalingV2Api(api_client)
        self.on_read = on_read

    def replicas(self, target: str) -> tuple[int, int]:
        """``(desired, ready)``: the scale's ``spec.replicas`` and the ready pods its selector picks."""
        workload = parse_target(target)
        scale = self._read(workload)
        selector = scale.status.selector if scale.status else None
        ready = self._ready_pods(selector) if selector else 0
        return scale.spec.replicas or 0, ready

    def scale(self, target: str, replicas: int) -> None:
        """Set the target's replicas through its scale subresource; returns once the apiserver has accepted it."""
        workload = parse_target(target)
        owner = self.autoscaler_of(workload)
        if owner is not None:
            raise OwnedByAutoscaler(target, owner)
        for _ in range(ATTEMPTS):
            scale = self._read(workload)
            if self.on_read is not None:
                self.on_read(workload, scale)
            if scale.spec.replicas == replicas:
                return
            body = client.V1Scale(metadata=client.V1ObjectMeta(
                name=workload.name, namespace=self.namespace, resource_version=scale.metadata.resource_version),
                spec=client.V1ScaleSpec(replicas=replicas))
            try:
                self._call(workload, f"replace_namespaced_{workload.stem}_scale", body=body)
                return
            except ApiException as e:
                if e.status != 409:
                    raise self._error(workload, e) from e
                # someone changed it since we read it: read the fresh object and decide again
        raise ScaleConflict(target, f"still changing after {ATTEMPTS} attempts")

    def autoscaler_of(self, workload: Workload) -> str | None:
        """The name of an autoscaling/v2 HorizontalPodAutoscaler in the namespace that targets ``workload``."""
        try:
            hpas = self.autoscaling.list_namespaced_horizontal_pod_autoscaler(self.namespace, _request_timeout=TIMEOUT)
        except ApiException as e:
            raise self._error(workload, e) from e
        except urllib3.exceptions.HTTPError as e:
            raise BackendUnavailable("kubernetes", str(e)) from e
        for hpa in hpas.items:
            ref = hpa.spec.scale_target_ref
            if ref.kind == workload.kind and ref.name == workload.name:
                return hpa.metadata.name
        return None

    def close(self) -> None:
        """Release the client's connections."""
        self.api_client.close()

    def _read(self, workload: Workload) -> client.V1Scale:
        return self._call(workload, f"read_namespaced_{workload.stem}_scale")

    def _call(self, workload: Workload, method: str, **kwargs):
        try:
            return getattr(self.apps, method)(workload.name, self.namespace, _request_timeout=TIMEOUT, **kwargs)
        except ApiException as e:
            if e.status == 409:
                raise  # the caller retries on the fresh object
            raise self._error(workload, e) from e
        except urllib3.exceptions.HTTPError as e:
            raise BackendUnavailable("kubernetes", str(e)) from e

    def _ready_pods(self, selector: str) -> int:
        try:
            pods = self.core.list_namespaced_pod(self.namespace, label_selector=selector, _request_timeout=TIMEOUT)
        except ApiException as e:
            raise BackendError("kubernetes", f"listing pods: {e.reason}", status=e.status) from e
        except urllib3.exceptions.HTTPError as e:
            raise BackendUnavailable("kubernetes", str(e)) from e
        return sum(1 for pod in pods.items if pod_ready(pod))

    def _error(self, workload: Workload, e: ApiException) -> Exception:
        if e.status == 404:
            return UnknownWorkload(f"{workload.kind} {self.namespace}/{workload.name} not found")
        return BackendError("kubernetes", f"{workload.kind} {workload.name}: {e.status} {e.reason}", status=e.status)


def pod_ready(pod: client.V1Pod) -> bool:
    """Whether a pod counts as ready: Running, not being deleted, its Ready condition True."""
    if pod.metadata.deletion_timestamp is not None or pod.status is None or pod.status.phase != "Running":
        return False
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or ())
