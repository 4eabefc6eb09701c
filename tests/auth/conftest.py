"""Fixtures for auth: an app on a SQLite file, and the cast alice (admin), bob (operator), charlie (viewer)."""
from __future__ import annotations

import pytest
from authkit import CAST, log_in, password_of

from console import create_app, store
from console.auth import create_user


@pytest.fixture
def make_app(tmp_path):
    """Build apps on a fresh SQLite file, with any overrides; their engines are released after the test."""
    apps = []

    def make(**overrides):
        app = create_app({"TESTING": True, "SECRET_KEY": "test",
                          "DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}", **overrides})
        apps.append(app)
        return app

    yield make
    for app in apps:
        store.get_engine(app).dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def cast(app) -> dict[str, int]:
    """alice, bob and charlie as users; their ids by name."""
    with app.app_context():
        return {name: create_user(store.session(), name=name, password=password_of(name), role=role).id
                for name, role in CAST.items()}


@pytest.fixture
def alice(cast, client):
    """A client logged in as alice (admin)."""
    assert log_in(client, "alice").status_code == 302
    return client


@pytest.fixture
def charlie(cast, client):
    """A client logged in as charlie (viewer)."""
    assert log_in(client, "charlie").status_code == 302
    return client
