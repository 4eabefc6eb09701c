"""The public API of the shop: rate limited, calls catalog and orders through guarded clients."""
from __future__ import annotations

import math
import os
import time
import uuid

from flask import Flask, jsonify, request

from sample_services.downstream import Downstream, DownstreamUnavailable
from sample_services.resilience import TokenBucket
from sample_services.service import new_app, telemetry_of


def _relay(response):
    """Pass a peer's answer through; a peer's 5xx becomes our 502."""
    if response.status_code >= 500:
        return jsonify(error="bad gateway", detail=f"upstream answered {response.status_code}"), 502
    return response.content, response.status_code, {"Content-Type": "application/json"}


def create_app(config: dict | None = None) -> Flask:
    """The gateway app: ``/api/products``, ``/api/products/<id>``, ``POST /api/checkout``."""
    app = new_app("gateway", config)
    telemetry = telemetry_of(app)
    rate = float(app.config.get("RATE_LIMIT_RPS", os.environ.get("OPSCONSOLE_GATEWAY_RPS", 500)))
    bucket = TokenBucket(rate=rate, burst=max(1.0, rate), now=time.monotonic())
    catalog = Downstream(telemetry.client("catalog", app.config["CATALOG_URL"], timeout=2.0))
    orders = Downstream(telemetry.client("orders", app.config["ORDERS_URL"], timeout=5.0), retries=1)

    @app.before_request
    def rate_limit():
        if not request.path.startswith("/api/"):
            return None
        wait = bucket.take(time.monotonic())
        if wait > 0:
            return jsonify(error="rate limited", detail=f"retry in {wait:.2f}s"), 429, \
                {"Retry-After": str(math.ceil(wait))}
        return None

    @app.errorhandler(DownstreamUnavailable)
    def unavailable(e: DownstreamUnavailable):
        telemetry.record_error(e, f"downstream unavailable: {e}")
        return jsonify(error="service unavailable", detail=str(e)), 503

    @app.get("/api/products")
    def products():
        return _relay(catalog.call("GET", "/products"))

    @app.get("/api/products/<int:product_id>")
    def product(product_id: int):
        return _relay(catalog.call("GET", f"/products/{product_id}"))

    @app.post("/api/checkout")
    def checkout():
        body = request.get_json(silent=True) or {}
        product_id, quantity = body.get("product_id"), body.get("quantity", 1)
        if not isinstance(product_id, int) or not isinstance(quantity, int) or not 1 <= quantity <= 100:
            return jsonify(error="bad request", detail="need integer product_id and quantity in 1..100"), 400
        found = catalog.call("GET", f"/products/{product_id}")
        if found.status_code != 200:
            return _relay(found)
        key = request.headers.get("Idempotency-Key") or uuid.uuid4().hex
        order = {"product_id": product_id, "quantity": quantity, "unit_price_cents": found.json()["price_cents"]}
        return _relay(orders.call("POST", "/orders", json=order, headers={"Idempotency-Key": key}))

    return app
