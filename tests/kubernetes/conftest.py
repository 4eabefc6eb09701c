"""One real Kubernetes control plane for the session: etcd, apiserver, controller-manager, scheduler and kwok.

Built (once, cached) and started by ``stack.up(..., extras=("kubernetes",), base=False)`` in a
temporary home on free loopback ports, so a demo's cluster is never touched; purged at the end.
The first test to ask for it pays for a cold build (several minutes on two cores): tests that use
it carry ``kubernetes_kit.KUBE_TIMEOUT``.
"""
from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from kubernetes import client, config
from rich.console import Console

from deploy.local import stack as local_stack
from deploy.local.layout import Layout, Ports


@dataclass(frozen=True)
class ControlPlane:
    """The session's control plane: its home, ports, and what its first ``up`` did."""

    layout: Layout
    ports: Ports
    first_up: list[str]
    started_in: float

    def api_client(self) -> client.ApiClient:
        """A new admin client (close it)."""
        return config.new_client_from_config(str(self.layout.kubeconfig))


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """The control plane, built if need be and started for the session."""
    layout = Layout(tmp_path_factory.mktemp("kube-home"))
    ports = local_stack.free_ports()
    try:
        began = time.monotonic()
        done = local_stack.up(layout, ports, extras=("kubernetes",), base=False,
                              console=Console(file=io.StringIO()))
        yield ControlPlane(layout, ports, done, time.monotonic() - began)
    finally:
        local_stack.purge(layout)


@pytest.fixture(scope="session")
def admin(control_plane: ControlPlane) -> Iterator[client.ApiClient]:
    """An admin API client for the session."""
    api = control_plane.api_client()
    yield api
    api.close()


@pytest.fixture
def namespace(admin: client.ApiClient) -> Iterator[str]:
    """A namespace of the test's own, deleted afterwards."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    core = client.CoreV1Api(admin)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    core.delete_namespace(name)
