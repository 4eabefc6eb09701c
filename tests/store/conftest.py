"""The store's tests run twice: on a SQLite file and on a throwaway PostgreSQL cluster."""
from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from pg import create_database, throwaway_cluster

from console import create_app, store

_databases = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL cluster for the session (installed if missing, never skipped)."""
    with throwaway_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """A fresh, empty database: a SQLite file, or a new database on the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'console.db'}"
    return create_database(request.getfixturevalue("postgres_server"), f"test_{next(_databases)}")


@pytest.fixture
def app(database_url):
    """A console app on ``database_url``; its engine is released after the test."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": database_url})
    yield app
    store.get_engine(app).dispose()


@pytest.fixture
def db(app):
    """The app's session, inside an app context."""
    with app.app_context():
        yield store.session()
