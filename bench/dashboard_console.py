"""The console as users run it (``opsconsole serve``: gunicorn, threaded workers) on a private stack, with an
admin who logs in through the form and a viewer token for the API."""
from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from deploy.local.layout import HOST, Layout

ADMIN, PASSWORD = "admin", "bench-admin-password"


@dataclass(frozen=True)
class Console:
    """A running console: its URL, a viewer's API token, and how to log in as its admin."""

    url: str
    token: str
    admin: str = ADMIN
    password: str = PASSWORD

    @property
    def bearer(self) -> dict[str, str]:
        """The Authorization header of the viewer token."""
        return {"Authorization": f"Bearer {self.token}"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_console(layout: Layout, *, backend_timeout: float, **settings: str) -> Iterator[Console]:
    """``opsconsole serve`` on a free loopback port against the stack of ``layout``, with ``settings`` (names
    without their ``OPSCONSOLE_`` prefix); stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="opsconsole-bench-console-") as tmp:
        port = _free_port()
        environ = {**os.environ, "OPSCONSOLE_HOME": str(layout.home),
                   "OPSCONSOLE_DATABASE_URL": f"sqlite:///{tmp}/console.db", "OPSCONSOLE_SECRET_KEY": "bench",
                   "OPSCONSOLE_ADMIN_USER": ADMIN, "OPSCONSOLE_ADMIN_PASSWORD": PASSWORD,
                   "OPSCONSOLE_BACKEND_TIMEOUT": str(backend_timeout),
                   # the scaling loop would query Prometheus now and then, between the timed requests
                   "OPSCONSOLE_SCALING_LOOP": "0", **{f"OPSCONSOLE_{k}": v for k, v in settings.items()}}
        with open(f"{tmp}/serve.log", "w") as serve_log:  # the child keeps its own copy of the descriptor
            server = subprocess.Popen([sys.executable, "-m", "console", "serve", "--port", str(port)], env=environ,
                                      stdout=subprocess.DEVNULL, stderr=serve_log, start_new_session=True)
        try:
            url = f"http://{HOST}:{port}"
            _wait_ready(url, server, f"{tmp}/serve.log")
            made = subprocess.run([sys.executable, "-m", "console", "token", "create", "--role", "viewer",
                                   "--name", "bench"], env=environ, check=True, capture_output=True, text=True)
            yield Console(url, made.stdout.strip())  # only the token goes to stdout
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)


def _wait_ready(url: str, server: subprocess.Popen, log: str, *, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the console exited {server.returncode}:\n{open(log).read()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"the console did not answer within {seconds:g} s")


def log_in(http: httpx.Client, console: Console) -> None:
    """Log ``http`` in through the login form, as a browser does (CSRF token, then the session cookie)."""
    form = http.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
    answer = http.post("/login", data={"name": console.admin, "password": console.password, "csrf_token": token})
    if answer.status_code != 302:
        raise RuntimeError(f"login refused: HTTP {answer.status_code}")
