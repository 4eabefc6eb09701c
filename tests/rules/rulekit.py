"""Helpers of the rule manager tests: a console on a given Prometheus, and what Prometheus loaded."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from console import auth, create_app, store
from console.backends import close_backends

HOST = "127.0.0.1"


def loaded_rules(prometheus_url: str) -> list[tuple[str, str, list[str]]]:
    """(file, group, alert names) of every group Prometheus runs."""
    groups = httpx.get(f"{prometheus_url}/api/v1/rules", timeout=10).json()["data"]["groups"]
    return sorted((g["file"], g["name"], [r["name"] for r in g["rules"]]) for g in groups)


@dataclass
class Console:
    """A console app and bearer headers for its operator and viewer."""

    app: object
    operator: dict[str, str]
    viewer: dict[str, str]

    @property
    def client(self):
        return self.app.test_client()


def make_console(tmp_path: Path, prometheus_url: str, others: dict[str, str], **settings) -> Console:
    app = create_app({"TESTING": True, "BACKEND_TIMEOUT": 5, "SECRET_KEY": "test", **others,
                      "PROMETHEUS_URL": prometheus_url, "DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}",
                      **settings})
    with app.app_context():
        headers = {role: {"Authorization": f"Bearer {auth.create_token(store.session(), role=role, name=role)[0]}"}
                   for role in ("operator", "viewer")}
    return Console(app, headers["operator"], headers["viewer"])


def shut(made: Console) -> None:
    """Close what a console opened: its rules target, its backends, its database engine."""
    close_backends(made.app)
    store.get_engine(made.app).dispose()
