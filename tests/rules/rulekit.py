"""Helpers of the rule manager tests: a console on a given Prometheus, waiting, and what Prometheus loaded."""
from __future__ import annotations

import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx
from kit import eventually

from console import auth, create_app, store
from console.backends import close_backends

HOST = "127.0.0.1"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


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
