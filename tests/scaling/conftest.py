"""Fixtures for the scaling tests: an app on a temp database with an in-memory executor, and the cast's tokens."""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from console import auth, create_app, store
from console.backends import close_backends
from console.scaling import EXTENSION
from scalekit import MemoryExecutor


@pytest.fixture
def app(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}",
                      "SCALING_HOME": str(tmp_path / "home")})
    app.extensions[EXTENSION] = MemoryExecutor({"gateway": 1, "payments": 1, "catalog": 1})
    yield app
    close_backends(app)
    store.get_engine(app).dispose()


@pytest.fixture
def offline(tmp_path, closed_url):
    """A console whose backends all refuse connections, over a stack home where nothing runs."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
                      "SCALING_HOME": str(tmp_path / "home"), "BACKEND_TIMEOUT": 2,
                      **{f"{b}_URL": closed_url for b in ("PROMETHEUS", "ALERTMANAGER", "ELASTICSEARCH", "JAEGER")}})
    yield app
    close_backends(app)
    store.get_engine(app).dispose()


@pytest.fixture
def memory(app) -> MemoryExecutor:
    return app.extensions[EXTENSION]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def headers(app) -> dict[str, dict[str, str]]:
    """An Authorization header per role."""
    with app.app_context():
        db = store.session()
        return {role: {"Authorization": f"Bearer {auth.create_token(db, role=role, name=role)[0]}"}
                for role in auth.ROLES}


@pytest.fixture(scope="module")
def shop(stack) -> Iterator[object]:
    """One replica of every shop service on the session's stack, for the tests of one module."""
    from sample_services.runtime import services_down, services_up

    services_up(stack.layout, stack.ports, {"gateway": 1, "catalog": 1, "orders": 1, "inventory": 1, "payments": 1})
    try:
        yield stack
    finally:
        services_down(stack.layout)


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL cluster for the scaling tests that share a database between consoles."""
    from pg import throwaway_cluster

    with throwaway_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """A fresh database: a SQLite file, or a new database on the session's PostgreSQL."""
    from pg import create_database

    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return create_database(request.getfixturevalue("postgres_server"), f"scaling_{uuid.uuid4().hex[:12]}")
