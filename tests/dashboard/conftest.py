"""Fixtures for the dashboard: canned backend answers, and apps with a logged-in viewer."""
from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from console import create_app, store
from console.backends import close_backends

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.fixture
def fixture_json():
    """Load a canned backend answer from ``tests/fixtures``."""
    return lambda name: json.loads((FIXTURES / name).read_text())


@pytest.fixture
def closed_url() -> str:
    """A loopback URL nobody listens on: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def backend_urls(prometheus_url, alertmanager_url, elasticsearch_url, jaeger_url) -> dict[str, str]:
    return {"PROMETHEUS_URL": prometheus_url, "ALERTMANAGER_URL": alertmanager_url,
            "ELASTICSEARCH_URL": elasticsearch_url, "JAEGER_URL": jaeger_url}


@pytest.fixture
def make_app(backend_urls, tmp_path):
    """Build apps on the session stack plus ``overrides``; each is closed after the test."""
    apps = []

    def make(**overrides):
        app = create_app({"TESTING": True, "BACKEND_TIMEOUT": 3, "SECRET_KEY": "test", **backend_urls,
                          "DATABASE_URL": f"sqlite:///{tmp_path / f'console{len(apps)}.db'}", **overrides})
        apps.append(app)
        return app

    yield make
    for app in apps:
        close_backends(app)
        store.get_engine(app).dispose()



@pytest.fixture(scope="module")
def seeded(stack):
    """A known trace in Jaeger and its log lines in Elasticsearch (under an index of their own)."""
    from dashkit import seed, wait_for_trace

    data = seed(f"{stack.url(stack.ports.jaeger_otlp_http)}/v1/traces", stack.elasticsearch_url)
    wait_for_trace(stack.jaeger_url, data.trace_id, len(data.spans))
    return data
