import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from console.errors import PortInUse
from console.serve import ensure_port_free, serve


def test_it_refuses_a_port_in_use(runner):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse) as caught:
            ensure_port_free("127.0.0.1", port)
        result = runner.invoke(serve, ["--port", str(port)])
    assert caught.value.port == port and caught.value.part == "console"
    assert isinstance(result.exception, PortInUse)
    assert str(result.exception) == f"port {port} needed by console is already in use"


def test_it_refuses_a_port_out_of_range(runner):
    result = runner.invoke(serve, ["--port", "70000"])
    assert result.exit_code == 2 and "70000" in result.output


def test_it_serves_the_app_under_gunicorn(closed_port, backend_urls, tmp_path):
    port = closed_port
    env = {**os.environ, "OPSCONSOLE_HOME": str(tmp_path), **{f"OPSCONSOLE_{k}": v for k, v in backend_urls.items()}}
    token = subprocess.run([sys.executable, "-m", "console", "token", "create", "--role", "viewer"], env=env,
                           capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    code = "import sys; from console.serve import serve; serve(sys.argv[1:])"
    proc = subprocess.Popen([sys.executable, "-c", code, "--port", str(port), "--workers", "1", "--threads", "2"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        health = _get_when_up(f"http://127.0.0.1:{port}/api/v1/health", proc, token)
        assert health.status_code == 200 and health.json()["healthy"] is True
        home = httpx.get(f"http://127.0.0.1:{port}/", timeout=5, follow_redirects=True)
        assert home.status_code == 200 and "Log in" in home.text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate(timeout=20)[0].decode()
    assert "gthread" in output and "GET /api/v1/health" in output


def _get_when_up(url: str, proc: subprocess.Popen, token: str, seconds: float = 20) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read().decode()
        try:
            return httpx.get(url, timeout=5, headers={"Authorization": f"Bearer {token}"})
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"console not up on {url} within {seconds}s")


def test_it_reports_a_port_in_use_on_one_line_with_status_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "console", "serve", "--port", str(port)],
                                env={**os.environ, "OPSCONSOLE_HOME": str(tmp_path)},
                                capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr == f"opsconsole: error: port {port} needed by console is already in use\n"


def test_it_reports_a_bad_setting_on_one_line_with_status_2(tmp_path):
    env = {**os.environ, "OPSCONSOLE_HOME": str(tmp_path), "OPSCONSOLE_JAEGER_URL": "localhost:16686"}
    result = subprocess.run([sys.executable, "-m", "console", "serve"], env=env, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2
    assert result.stderr == "opsconsole: error: config JAEGER_URL: URL scheme must be http or https, got 'localhost'\n"
