"""What every shop service shares: config from env, telemetry, Redis and fault injection."""
from __future__ import annotations

import os

import redis
from flask import Flask

from sample_services import fault
from sample_services.telemetry import Telemetry


def _env_config() -> dict:
    return {
        "REDIS_URL": os.environ.get("OPSCONSOLE_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "CATALOG_URL": os.environ.get("OPSCONSOLE_CATALOG_URL", "http://127.0.0.1:8001"),
        "ORDERS_URL": os.environ.get("OPSCONSOLE_ORDERS_URL", "http://127.0.0.1:8002"),
        "INVENTORY_URL": os.environ.get("OPSCONSOLE_INVENTORY_URL", "http://127.0.0.1:8003"),
        "PAYMENTS_URL": os.environ.get("OPSCONSOLE_PAYMENTS_URL", "http://127.0.0.1:8004"),
        "DATA_DIR": os.environ.get("OPSCONSOLE_DATA_DIR", ".opsconsole/data"),
    }


def new_app(service: str, config: dict | None = None) -> Flask:
    """A Flask app for ``service`` with telemetry and fault injection; ``config`` (may hold ``TELEMETRY``) beats env."""
    app = Flask(service)
    app.config.update(_env_config())
    app.config.update(config or {})
    telemetry = app.config.get("TELEMETRY") or Telemetry(service)
    telemetry.instrument(app)
    client = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2)
    app.extensions["redis"] = client
    fault.install(app, telemetry, fault.FaultReader(client, service))
    return app


def telemetry_of(app: Flask) -> Telemetry:
    """The app's ``Telemetry``."""
    return app.extensions["telemetry"]


def redis_of(app: Flask) -> redis.Redis:
    """The app's Redis client."""
    return app.extensions["redis"]
