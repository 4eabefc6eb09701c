"""Payments: authorize over HTTP, capture by consuming ``order.created`` events from the stream."""
from __future__ import annotations

import atexit

from flask import Flask, jsonify, request
from opentelemetry import context, propagate
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Gauge

from sample_services import stream
from sample_services.service import new_app, redis_of, telemetry_of

AUTHORIZATION_LIMIT_CENTS = 500_000


def _auth_key(order_id: str) -> str:
    return f"payments:auth:{order_id}"


def create_app(config: dict | None = None) -> Flask:
    """The payments app; ``START_CONSUMER=False`` in ``config`` leaves the stream reader off."""
    app = new_app("payments", config)
    telemetry, client = telemetry_of(app), redis_of(app)
    failures = Counter("payment_failures_total", "Payments declined or not captured.", ["reason"],
                       registry=telemetry.registry)
    lag = Gauge("payments_stream_consumer_lag", "Order events not yet acknowledged by the payments group.",
                registry=telemetry.registry)
    lag.set_function(lambda: stream.consumer_lag(client))

    @app.post("/payments/authorize")
    def authorize():
        body = request.get_json(silent=True) or {}
        order_id, amount = body.get("order_id"), body.get("amount_cents")
        if not isinstance(order_id, str) or not isinstance(amount, int) or amount < 0:
            return jsonify(error="bad request", detail="need order_id and amount_cents >= 0"), 400
        if amount > AUTHORIZATION_LIMIT_CENTS:
            failures.labels("declined").inc()
            telemetry.logger.warning(f"payment declined for order {order_id}",
                                     extra={"event.action": "payment-declined", "event.outcome": "failure"})
            return jsonify(error="declined", detail=f"amount over {AUTHORIZATION_LIMIT_CENTS}"), 402
        client.hset(_auth_key(order_id), mapping={"state": "authorized", "amount_cents": amount})
        return jsonify(order_id=order_id, state="authorized"), 201

    @app.get("/payments/<order_id>")
    def payment(order_id: str):
        found = client.hgetall(_auth_key(order_id))
        if not found:
            return jsonify(error="not found", detail=f"no payment for {order_id}"), 404
        return jsonify(order_id=order_id, **{k.decode(): v.decode() for k, v in found.items()})

    def capture(entry_id: str, fields: dict[str, str]) -> None:
        """Capture the authorized payment of one ``order.created`` event, inside the producer's trace."""
        token = context.attach(propagate.extract(fields))
        try:
            with telemetry.tracer.start_as_current_span("orders process", kind=SpanKind.CONSUMER,
                                                        attributes={"messaging.system": "redis",
                                                                    "messaging.destination.name": stream.STREAM,
                                                                    "messaging.message.id": entry_id}):
                order_id = fields.get("order_id", "")
                extra = {"event.action": "payment-capture", "event.dataset": "payments.stream"}
                if client.hget(_auth_key(order_id), "state") != b"authorized":
                    failures.labels("capture_without_authorization").inc()
                    telemetry.logger.error(f"no authorization to capture for order {order_id}",
                                           extra={**extra, "event.outcome": "failure"})
                    return
                client.hset(_auth_key(order_id), "state", "captured")
                telemetry.logger.info(f"captured payment for order {order_id}",
                                      extra={**extra, "event.outcome": "success"})
        finally:
            context.detach(token)

    consumer = stream.Consumer(client, telemetry.replica, capture)
    app.extensions["consumer"] = consumer
    if app.config.get("START_CONSUMER", True):
        consumer.start()
        atexit.register(consumer.stop)
    return app
