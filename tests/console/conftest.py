"""Fixtures for the console: the app, its clients, and the suite's real backends."""
from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

from console import store
from console.auth import create_user


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def jaeger_otlp_traces_url(stack) -> str:
    """Where spans go to reach the ``jaeger_url`` Jaeger (OTLP over HTTP)."""
    return f"{stack.url(stack.ports.jaeger_otlp_http)}/v1/traces"


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening: connecting is refused at once."""
    return free_port()


@pytest.fixture
def logged_in():
    """Make a test client of an app, logged in through the login form as a new user of ``role``."""
    def log_in(app, role: str = "viewer"):
        with app.app_context():
            create_user(store.session(), name=f"test-{role}", password="test-password", role=role)
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))[1]
        form = {"name": f"test-{role}", "password": "test-password", "csrf_token": token}
        assert client.post("/login", data=form).status_code == 302
        return client

    return log_in


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def fixture_json():
    """Load a canned backend answer from ``tests/fixtures``."""
    root = Path(__file__).parent.parent / "fixtures"
    return lambda name: json.loads((root / name).read_text())


