"""Liveness and readiness of the console itself, for load balancers and orchestrators.

Readiness is about the console's own parts (its config, later its store), never about the
backends it reads: Prometheus being down must not take the console out of rotation.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, current_app, jsonify

from console.backends import EXTENSION as BACKENDS

bp = Blueprint("health", __name__)

CHECKS = "opsconsole.readiness"

ReadinessCheck = Callable[[], "str | None"]


def add_readiness_check(app: Flask, name: str, check: ReadinessCheck) -> None:
    """Make ``/readyz`` depend on ``check``, which returns None when ready or the reason it is not."""
    app.extensions.setdefault(CHECKS, {})[name] = check


def init_app(app: Flask) -> None:
    """Register the console's built-in readiness checks."""
    add_readiness_check(app, "config", _config_loaded)


def _config_loaded() -> str | None:
    return None if BACKENDS in current_app.extensions else "backend adapters not built"


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Readiness: 200 when every check passes, else 503 naming the ones that fail."""
    failing = {}
    for name, check in current_app.extensions.get(CHECKS, {}).items():
        try:
            reason = check()
        except Exception as e:  # a crashing check means "not ready", not a 500
            reason = f"{type(e).__name__}: {e}"
        if reason:
            failing[name] = reason
    if failing:
        return jsonify(status="unready", failing=failing), 503
    return jsonify(status="ready")
