"""Suite-wide fixtures: one real loopback stack for the whole session, on ports of its own.

The stack is started lazily by the first test that asks for it, in a temporary home, so a
demo running on the default ports is never touched. Nothing is skipped when a backend is
missing: the fixture installs and starts it, or the test errors.
"""
from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.local import stack as local_stack
from deploy.local.layout import HOST, Layout, Ports
from kit import SCRAPE_SECONDS

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def pytest_configure(config: pytest.Config) -> None:
    """Give the run a home of its own, so nothing a test builds ever resolves to a demo's ``./.opsconsole``."""
    os.environ["OPSCONSOLE_HOME"] = tempfile.mkdtemp(prefix="opsconsole-test-home-")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests judging a rule that ran live (marked ``live_window``) go last, and that rule starts now, so its
    minutes pass while the other tests run (after any ``-k`` or ``-m`` deselection: trylast)."""
    from livewindow import start_for

    live = [item for item in items if item.get_closest_marker("live_window")]
    items[:] = [item for item in items if item not in live] + live
    window = start_for(live, Path(tempfile.mkdtemp(prefix="opsconsole-live-window-")))
    if window is not None:
        config.add_cleanup(window.stop)


@dataclass(frozen=True)
class RunningStack:
    """The session's stack: where it lives and where each part listens."""

    layout: Layout
    ports: Ports

    def url(self, port: int) -> str:
        return f"http://{HOST}:{port}"

    @property
    def prometheus_url(self) -> str:
        return self.url(self.ports.prometheus)

    @property
    def alertmanager_url(self) -> str:
        return self.url(self.ports.alertmanager)

    @property
    def elasticsearch_url(self) -> str:
        return self.url(self.ports.elasticsearch)

    @property
    def jaeger_url(self) -> str:
        return self.url(self.ports.jaeger_query)

    @property
    def gateway_url(self) -> str:
        return self.url(self.ports.nginx)

    @property
    def redis_url(self) -> str:
        return f"redis://{HOST}:{self.ports.redis}/0"

    def env(self) -> dict[str, str]:
        """Environment for a subprocess (``opsconsole ...``) that must use this stack."""
        return {**os.environ, "OPSCONSOLE_HOME": str(self.layout.home)}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The real stack (Prometheus, Alertmanager, Elasticsearch, Jaeger, nginx, Redis) for the session."""
    layout = Layout(tmp_path_factory.mktemp("stack-home"))
    ports = local_stack.free_ports()
    try:
        local_stack.up(layout, ports, wait=True, scrape_interval=f"{SCRAPE_SECONDS:.0f}s")
        yield RunningStack(layout, ports)
    finally:
        local_stack.purge(layout)


@pytest.fixture(scope="session")
def prometheus_url(stack: RunningStack) -> str:
    return stack.prometheus_url


@pytest.fixture(scope="session")
def alertmanager_url(stack: RunningStack) -> str:
    return stack.alertmanager_url


@pytest.fixture(scope="session")
def elasticsearch_url(stack: RunningStack) -> str:
    return stack.elasticsearch_url


@pytest.fixture(scope="session")
def jaeger_url(stack: RunningStack) -> str:
    return stack.jaeger_url


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where tests leave screenshots and reports for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def closed_url() -> str:
    """A loopback URL nobody listens on: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture(scope="session")
def backend_urls(prometheus_url, alertmanager_url, elasticsearch_url, jaeger_url) -> dict[str, str]:
    """The console's backend settings pointing at the session's stack."""
    return {"PROMETHEUS_URL": prometheus_url, "ALERTMANAGER_URL": alertmanager_url,
            "ELASTICSEARCH_URL": elasticsearch_url, "JAEGER_URL": jaeger_url}


@pytest.fixture
def build_app(tmp_path):
    """Build console apps from settings, each in testing mode with a database of its own; closed after the test."""
    from console import create_app, store
    from console.backends import close_backends

    apps = []

    def build(**settings):
        app = create_app({"TESTING": True, "SECRET_KEY": "test",
                          "DATABASE_URL": f"sqlite:///{tmp_path / f'console{len(apps)}.db'}", **settings})
        apps.append(app)
        return app

    yield build
    for app in apps:
        close_backends(app)
        store.get_engine(app).dispose()


@pytest.fixture
def make_app(backend_urls, build_app):
    """Build console apps on the session's stack plus any overrides, each with a database of its own; closed after the test."""
    return lambda **overrides: build_app(**{"BACKEND_TIMEOUT": 2, **backend_urls, **overrides})
