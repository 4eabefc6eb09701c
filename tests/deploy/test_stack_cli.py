"""``stack`` on the command line: bad input is one line naming what is wrong."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from deploy.local import stack as local_stack
from deploy.local.cli import stack
from deploy.local.layout import Layout, Ports, save_ports

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """A home of its own and free ports for every part, as the environment of a CLI run."""
    ports = local_stack.free_ports()
    values = {f"OPSCONSOLE_{name.upper()}_PORT": str(port) for name, port in ports.as_dict().items() if port}
    return {"OPSCONSOLE_HOME": str(tmp_path / "home"), **values}


def test_it_exits_2_with_one_line_naming_the_port_and_the_part_when_a_port_is_taken(env):
    port = int(env["OPSCONSOLE_JAEGER_OTLP_HTTP_PORT"])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        done = subprocess.run([sys.executable, "-m", "console", "stack", "up"], capture_output=True, text=True,
                              env={**os.environ, **env}, cwd=ROOT, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"opsconsole: error: port {port} needed by jaeger is already in use"]


def test_it_offers_kubernetes_as_the_only_optional_part(env):
    result = CliRunner().invoke(stack, ["up", "--with", "nomad"], env=env)
    assert result.exit_code == 2
    assert "'nomad' is not 'kubernetes'" in result.output


def test_it_lists_the_kubernetes_parts_of_a_stack_started_with_them(env):
    apiserver = int(env["OPSCONSOLE_KUBE_APISERVER_PORT"])
    save_ports(Layout(Path(env["OPSCONSOLE_HOME"])), Ports(kube_apiserver=apiserver), extras=("kubernetes",))
    result = CliRunner().invoke(stack, ["status", "--json"], env=env)
    assert result.exit_code == 1
    parts = {p["name"]: p for p in json.loads(result.output)}
    assert list(parts)[6:] == ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"]
    assert parts["kube-apiserver"] == {"name": "kube-apiserver", "url": f"https://127.0.0.1:{apiserver}",
                                       "healthy": False}


def test_it_reports_a_stopped_stack_as_unhealthy_json(env):
    result = CliRunner().invoke(stack, ["status", "--json"], env=env)
    assert result.exit_code == 1
    parts = json.loads(result.output)
    assert [p["name"] for p in parts] == ["prometheus", "alertmanager", "elasticsearch", "jaeger", "nginx", "redis"]
    assert not any(p["healthy"] for p in parts)
    assert parts[0]["url"] == f"http://127.0.0.1:{env['OPSCONSOLE_PROMETHEUS_PORT']}"
