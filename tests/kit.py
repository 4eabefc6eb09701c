"""Helpers shared by tests across areas."""
from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest


PASSWORD = "a long test password"
SCRAPE_SECONDS = 2.0  # the session stack's Prometheus scrape and rule evaluation interval


def log_in(app, role: str = "viewer", *, name: str = "charlie"):
    """A test client of ``app`` logged in through the login form as a new user ``name`` of ``role``."""
    from console import auth, store

    with app.app_context():
        auth.create_user(store.session(), name=name, password=PASSWORD, role=role)
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))[1]
    assert client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


CHROMIUM = {"executable_path": "/usr/bin/chromium", "args": ["--no-sandbox", "--disable-background-networking"]}


@contextmanager
def serving(app, port: int = 0) -> Iterator[str]:
    """``app`` over real HTTP on loopback ``port`` (a free one by default), in a thread; yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@contextmanager
def browser_page(url: str, name: str, *, width: int = 1280, height: int = 1000, timezone_id: str | None = None,
                 color_scheme: str | None = None):
    """A page of Debian's Chromium (never a downloaded browser) logged in to the console at ``url`` as ``name``;
    ``timezone_id`` (say "America/New_York") sets the browser's time zone, ``color_scheme`` ("dark") its theme. Anything the console's
    Content-Security-Policy blocks on the way fails the test: the policy must never break a page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(**CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": width, "height": height}, timezone_id=timezone_id,
                                    color_scheme=color_scheme)
            page.set_default_timeout(20_000)
            blocked: list[str] = []
            page.expose_function("reportBlocked", lambda report: blocked.append(report))
            page.add_init_script(CSP_WATCH)
            page.goto(f"{url}/login")
            page.fill("input[name=name]", name)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            yield page
            assert blocked == [], f"the Content-Security-Policy blocked: {blocked}"
        finally:
            browser.close()


# run in every document the page opens: report what the Content-Security-Policy blocks
CSP_WATCH = """document.addEventListener("securitypolicyviolation",
    e => window.reportBlocked(`${e.violatedDirective} ${e.blockedURI || "inline"} at ${e.documentURI}`))"""


def eventually(check, *, timeout: float, interval: float = 0.5, what: str):
    """Call ``check`` until it returns a truthy value; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"{what} not true within {timeout:.0f} s (last: {last!r})")


@contextmanager
def own_alertmanager(home) -> Iterator[tuple]:
    """An Alertmanager of the caller's own under ``home``, started as the stack starts its own; yields (layout, ports, url)."""
    from rich.console import Console

    from deploy.local import configs, process
    from deploy.local.install import ensure_debian_packages
    from deploy.local.layout import HOST, Layout, Ports
    from deploy.local.parts import http_ok

    ensure_debian_packages(Console(quiet=True))
    layout = Layout(home)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ports = Ports(alertmanager=port, alertmanager_cluster=0)
    configs.write_alertmanager(layout)
    process.start(layout, "alertmanager", configs.alertmanager_argv(layout, ports))
    url = f"http://{HOST}:{ports.alertmanager}"
    try:
        eventually(lambda: http_ok(f"{url}/-/ready"), timeout=30, what="our Alertmanager ready")
        yield layout, ports, url
    finally:
        process.stop(layout, "alertmanager")


def checkouts(url: str, stop: threading.Event, *, per_second: float, seconds: float) -> None:
    """Checkouts at a steady pace until ``stop`` (at most ``seconds``): each one calls payments."""
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=url, timeout=5) as http:
        for n in range(int(per_second * seconds)):
            if stop.is_set() or time.monotonic() > deadline:
                return
            try:
                http.post("/api/checkout", json={"product_id": 1 + n % 5, "quantity": 1},
                          headers={"Idempotency-Key": uuid.uuid4().hex})
            except httpx.TransportError:
                pass  # one slow answer on a busy machine must not end the stream
            time.sleep(1 / per_second)


def payments_fault(stack, *args: str) -> None:
    """``opsconsole fault payments ARGS`` against the session's stack, as a user runs it."""
    subprocess.run([sys.executable, "-m", "console", "fault", "payments", *args], env=stack.env(), check=True,
                   timeout=30)


@contextmanager
def failing_shop(stack, *, error_rate: float = 0.5, seconds: float = 120) -> Iterator[object]:
    """The shop (one replica each) under 10 checkouts a second for at most ``seconds``, payments failing
    ``error_rate`` of its calls; everything undone on the way out."""
    from sample_services.runtime import services_down, services_up

    services_up(stack.layout, stack.ports, {name: 1 for name in ("gateway", "catalog", "orders", "inventory", "payments")})
    stop = threading.Event()
    load = threading.Thread(target=checkouts, args=(stack.gateway_url, stop), kwargs={"per_second": 10, "seconds": seconds})
    load.start()
    try:
        payments_fault(stack, "--error-rate", str(error_rate))
        yield stack
    finally:
        payments_fault(stack, "--clear")
        stop.set()
        load.join(timeout=10)
        services_down(stack.layout)


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class OwnPrometheus:
    """A Prometheus started by a test, which the test may stop and start again."""

    url: str
    rules: Path
    argv: list[str]
    log: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT)
        eventually(self.ready, timeout=30, what="our Prometheus ready")

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None
