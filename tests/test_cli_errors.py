"""Bad input to any command: one line on stderr naming the problem, and exit status 2."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest


def opsconsole(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "console", *args], capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        pytest.param(("fault", "warehouse", "--error-rate", "0.5"), "warehouse", id="unknown service to fault"),
        pytest.param(("fault", "payments", "--error-rate", "1.5"), "error", id="error rate above 1"),
        pytest.param(("services", "up", "--replicas", "gateway3"), "gateway3", id="replicas without ="),
        pytest.param(("services", "up", "--replicas", "gateway=-1"), "gateway", id="negative replicas"),
        pytest.param(("services", "up", "--replicas", "shipping=2"), "shipping", id="unknown service to scale"),
        pytest.param(("load", "--rps", "-5", "--duration", "10"), "rps", id="negative rps"),
        pytest.param(("load", "--rps", "5", "--duration", "0"), "duration", id="zero duration"),
        pytest.param(("load", "--profile", "tsunami", "--rps", "5", "--duration", "5"), "tsunami", id="unknown profile"),
        pytest.param(("backfill", "--days", "0"), "--days", id="no history to backfill"),
        pytest.param(("backfill", "--step", "900"), "--step", id="a step too coarse for rate()"),
    ],
)
def test_it_rejects_bad_input_in_one_line(args, mentions, tmp_path):
    result = opsconsole(*args, env={**os.environ, "OPSCONSOLE_HOME": str(tmp_path)})
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("opsconsole: error:")
    assert mentions in lines[0]


def test_it_names_the_port_and_part_when_a_port_is_taken(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "OPSCONSOLE_HOME": str(tmp_path), "OPSCONSOLE_PROMETHEUS_PORT": str(port)}
        result = opsconsole("stack", "up", env=env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(port) in lines[0] and "prometheus" in lines[0]
