"""The control plane our code builds and starts: healthy, on loopback only, RBAC on, pods Running on kwok nodes."""
from __future__ import annotations

import io
import stat
import subprocess
import time
from pathlib import Path

import pytest
from kubernetes import client
from rich.console import Console

from deploy.local import kubebuild, kubeparts, process
from deploy.local import stack as local_stack
from deploy.local.layout import Layout
from kit import eventually
from kubernetes_kit import KUBE_TIMEOUT, deployment, running_pods

pytestmark = [pytest.mark.stack, pytest.mark.timeout(KUBE_TIMEOUT)]
KUBE_NAMES = [part.name for part in kubeparts.KUBE_PARTS]


def test_it_starts_every_kubernetes_part_healthy(control_plane):
    started = [line for line in control_plane.first_up if line.startswith("started ")]
    assert started == [f"started {name}" for name in KUBE_NAMES]
    health = {s.name: s.healthy for s in local_stack.status(control_plane.layout, control_plane.ports)}
    assert all(health[name] for name in KUBE_NAMES), health
    print(f"\ncontrol plane: first up {control_plane.started_in:.1f} s: {control_plane.first_up}")


def test_it_keeps_private_keys_and_tokens_to_the_owner(control_plane):
    pki = control_plane.layout.kubernetes
    for name in ("ca.key", "apiserver.key", "sa.key", "tokens.csv", "admin.kubeconfig"):
        assert stat.S_IMODE((pki / name).stat().st_mode) == 0o600, name


def test_it_builds_and_starts_nothing_the_second_time(control_plane):
    quiet = Console(file=io.StringIO())
    assert kubebuild.ensure_kubernetes(quiet) == []
    assert local_stack.up(control_plane.layout, control_plane.ports, extras=("kubernetes",), base=False,
                          console=quiet) == []


def test_it_listens_on_loopback_only(control_plane):
    listening = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True).stdout
    for name in KUBE_NAMES:
        pid = process.read_pid(control_plane.layout, name)
        addresses = {line.split()[3] for line in listening.splitlines() if f"pid={pid}," in line}
        assert addresses, name
        assert all(a.startswith("127.0.0.1:") for a in addresses), (name, addresses)


def test_it_refuses_a_service_account_without_a_role(admin, namespace):
    core = client.CoreV1Api(admin)
    core.create_namespaced_service_account(namespace, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="nobody")))
    token = core.create_namespaced_service_account_token(
        "nobody", namespace, client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[])))
    configuration = client.Configuration()
    admin_config = admin.configuration
    configuration.host, configuration.ssl_ca_cert = admin_config.host, admin_config.ssl_ca_cert
    configuration.api_key = {"authorization": f"Bearer {token.status.token}"}
    nobody = client.ApiClient(configuration)
    try:
        with pytest.raises(client.exceptions.ApiException) as refused:
            client.CoreV1Api(nobody).list_namespaced_pod(namespace)
        assert refused.value.status == 403
    finally:
        nobody.close()


def test_it_runs_a_deployments_pods_on_kwok_nodes(admin, namespace):
    nodes = client.CoreV1Api(admin).list_node().items
    assert {n.metadata.name for n in nodes} >= set(kubeparts.NODES)
    began = time.monotonic()
    client.AppsV1Api(admin).create_namespaced_deployment(namespace, deployment("hello", replicas=3))
    pods = eventually(lambda: len(running_pods(admin, namespace, "app=hello")) == 3 and
                      running_pods(admin, namespace, "app=hello"), timeout=60, what="3 pods Running")
    assert {p.spec.node_name for p in pods} <= set(kubeparts.NODES)
    print(f"\n3 pods Running {time.monotonic() - began:.1f} s after the Deployment was created")


def test_it_starts_a_second_control_plane_without_building_and_leaves_nothing_after_down(control_plane, tmp_path):
    layout, ports = Layout(tmp_path / "home"), local_stack.free_ports()
    try:
        began = time.monotonic()
        done = local_stack.up(layout, ports, extras=("kubernetes",), base=False, console=Console(file=io.StringIO()))
        took = time.monotonic() - began
        assert not [line for line in done if line.startswith("built ")]
        assert [line for line in done if line.startswith("started ")] == [f"started {n}" for n in KUBE_NAMES]
        leaders = [process.read_pid(layout, name) for name in KUBE_NAMES]
        print(f"\nwarm start of a control plane, nodes registered: {took:.1f} s")
    finally:
        local_stack.purge(layout)
    assert not [pid for pid in leaders if process.group_alive(pid)]
    assert _processes_mentioning(str(layout.home)) == []


def _processes_mentioning(marker: str) -> list[str]:
    found = []
    for pid in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = pid.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in text:
            found.append(text)
    return found
