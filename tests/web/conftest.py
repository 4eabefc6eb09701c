"""Fixtures for the HTTP face: an app on a temp database, the cast and their credentials, a live server."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from console import auth, create_app, store
from console.backends import close_backends
from console.store import ApiToken, utcnow

from apikit import ALERTMANAGER_TOKEN, PASSWORD
from kit import serving

# the cast: one user per role, each with a token of that role
CAST = {"alice": "admin", "bob": "operator", "charlie": "viewer"}


@dataclass(frozen=True)
class Credentials:
    """Bearer tokens by role, plus ones the API must refuse."""

    tokens: dict[str, str]
    expired: str
    revoked: str
    wrong: str = "osc_000000000000_not-a-real-secret"

    def header(self, role: str) -> dict[str, str]:
        """The Authorization header of the token of ``role``."""
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture
def backend_urls(prometheus_url, alertmanager_url, elasticsearch_url, jaeger_url) -> dict[str, str]:
    return {"PROMETHEUS_URL": prometheus_url, "ALERTMANAGER_URL": alertmanager_url,
            "ELASTICSEARCH_URL": elasticsearch_url, "JAEGER_URL": jaeger_url}


@pytest.fixture
def scaling_home() -> str | None:
    """The stack home the scale endpoints act on; None: the run's own home, where no stack runs (a 503)."""
    return None


@pytest.fixture
def app(backend_urls, scaling_home, tmp_path):
    app = create_app({"TESTING": True, "BACKEND_TIMEOUT": 2, "SECRET_KEY": "test",
                      "ALERTMANAGER_TOKEN": ALERTMANAGER_TOKEN, "SCALING_HOME": scaling_home,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}", **backend_urls})
    yield app
    close_backends(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def creds(app) -> Credentials:
    """alice (admin), bob (operator) and charlie (viewer) with a token each; an expired and a revoked token."""
    with app.app_context():
        db = store.session()
        tokens = {}
        for name, role in CAST.items():
            user = auth.create_user(db, name=name, password=PASSWORD, role=role)
            tokens[role], _ = auth.create_token(db, role=role, name=f"{name}-cli", user_id=user.id)
        expired, row = auth.create_token(db, role="admin", name="expired", expires_in=timedelta(days=1))
        # create_token refuses a past expiry, so age the stored row instead
        db.get(ApiToken, row.id).expires_at = utcnow() - timedelta(seconds=1)
        db.commit()
        revoked, row = auth.create_token(db, role="admin", name="revoked")
        auth.revoke_token(db, row.id)
    return Credentials(tokens=tokens, expired=expired, revoked=revoked)


@pytest.fixture
def live_url(app):
    """The app served over real HTTP on a free loopback port, for as long as the test runs."""
    with serving(app) as url:
        yield url

