"""Backend adapters, one module per kind, picked by name from ``KINDS``.

``init_app`` builds one adapter per kind from the app's config; views reach them with
``get_backend(kind)`` or ``get_backends()``.
"""
from __future__ import annotations

from flask import Flask, current_app

from console.backends.alertmanager import Alertmanager
from console.backends.base import Backend, Health, probe_all
from console.backends.elasticsearch import ElasticsearchLogs
from console.backends.jaeger import Jaeger
from console.backends.prometheus import Prometheus
from console.errors import ConfigError

__all__ = ["KINDS", "Backend", "Health", "close_backends", "create", "get_backend", "get_backends", "init_app",
           "probe_all"]

KINDS: dict[str, type] = {
    "prometheus": Prometheus,
    "alertmanager": Alertmanager,
    "elasticsearch": ElasticsearchLogs,
    "jaeger": Jaeger,
}

EXTENSION = "opsconsole.backends"


def create(kind: str, url: str, *, timeout: float, **options) -> Backend:
    """An adapter of ``kind`` for the server at ``url``; an unknown kind is a ``ConfigError``."""
    try:
        cls = KINDS[kind]
    except KeyError:
        raise ConfigError("backend", f"unknown kind {kind!r} (known: {', '.join(KINDS)})") from None
    return cls(url, timeout=timeout, **options)


def init_app(app: Flask) -> None:
    """Build the app's adapters from its ``<KIND>_URL`` settings."""
    timeout = app.config["BACKEND_TIMEOUT"]
    options = {"elasticsearch": {"index": app.config["LOGS_INDEX"]}}
    app.extensions[EXTENSION] = {
        kind: create(kind, app.config[f"{kind.upper()}_URL"], timeout=timeout, **options.get(kind, {}))
        for kind in KINDS
    }


def get_backends(app: Flask | None = None) -> dict[str, Backend]:
    """Every adapter of ``app`` (default: the current app), by kind."""
    return (app or current_app).extensions[EXTENSION]


def get_backend(kind: str) -> Backend:
    """The current app's adapter of ``kind``."""
    return get_backends()[kind]


def close_backends(app: Flask) -> None:
    """Release the connections of every adapter of ``app``."""
    for backend in get_backends(app).values():
        backend.close()
