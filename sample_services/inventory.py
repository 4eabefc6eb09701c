"""Stock reserved under a Redis lock per product; reservations not committed in time expire."""
from __future__ import annotations

import time
import uuid

import redis
from flask import Flask, jsonify, request
from prometheus_client import Counter

from sample_services.catalog import PRODUCTS
from sample_services.lock import LockBusy, RedisLock
from sample_services.service import new_app, redis_of, telemetry_of

STOCK = "inventory:stock"
INITIAL_STOCK = 1_000_000
RESERVATION_TTL_SECONDS = 60.0


def _expiry_key(product_id: int) -> str:
    return f"inventory:expiry:{product_id}"


def _reservation_key(reservation_id: str) -> str:
    return f"inventory:res:{reservation_id}"


def sweep_expired(client: redis.Redis, product_id: int, now: float) -> int:
    """Return the stock of expired reservations of one product; call it under the product's lock."""
    expired = client.zrangebyscore(_expiry_key(product_id), "-inf", now)
    returned = 0
    for rid in expired:
        rid = rid.decode()
        quantity = int(client.hget(_reservation_key(rid), "quantity") or 0)
        pipe = client.pipeline()
        pipe.hincrby(STOCK, product_id, quantity)
        pipe.zrem(_expiry_key(product_id), rid)
        pipe.delete(_reservation_key(rid))
        pipe.execute()
        returned += quantity
    return returned


def create_app(config: dict | None = None) -> Flask:
    """The inventory app: reserve, commit and release stock."""
    app = new_app("inventory", config)
    telemetry, client = telemetry_of(app), redis_of(app)
    ttl = float(app.config.get("RESERVATION_TTL_SECONDS", RESERVATION_TTL_SECONDS))
    reservations = Counter("inventory_reservations_total", "Reservation attempts by result.", ["result"],
                           registry=telemetry.registry)
    try:
        for product_id in PRODUCTS:
            client.hsetnx(STOCK, product_id, INITIAL_STOCK)
    except redis.RedisError as e:
        telemetry.logger.warning(f"stock not seeded yet: {e}")

    def lock(product_id: int) -> RedisLock:
        return RedisLock(client, f"inventory:lock:{product_id}")

    @app.errorhandler(LockBusy)
    def busy(e: LockBusy):
        return jsonify(error="busy", detail=f"{e} is held"), 503

    @app.post("/reservations")
    def reserve():
        body = request.get_json(silent=True) or {}
        product_id, quantity = body.get("product_id"), body.get("quantity")
        if product_id not in PRODUCTS or not isinstance(quantity, int) or quantity < 1:
            return jsonify(error="bad request", detail="need a known product_id and quantity >= 1"), 400
        try:
            with lock(product_id):
                now = time.time()
                sweep_expired(client, product_id, now)
                available = int(client.hget(STOCK, product_id) or 0)
                if available < quantity:
                    reservations.labels("out_of_stock").inc()
                    return jsonify(error="out of stock", detail=f"{available} left"), 409
                rid = uuid.uuid4().hex
                pipe = client.pipeline()
                pipe.hincrby(STOCK, product_id, -quantity)
                pipe.hset(_reservation_key(rid), mapping={"product_id": product_id, "quantity": quantity})
                pipe.zadd(_expiry_key(product_id), {rid: now + ttl})
                pipe.execute()
        except LockBusy:
            reservations.labels("lock_busy").inc()
            return jsonify(error="busy", detail=f"product {product_id} is locked"), 503
        reservations.labels("reserved").inc()
        return jsonify(reservation_id=rid, product_id=product_id, quantity=quantity, expires_at=now + ttl), 201

    def settle(rid: str, *, release: bool):
        product_id = client.hget(_reservation_key(rid), "product_id")
        if product_id is None:
            return jsonify(error="not found", detail=f"no open reservation {rid}"), 404
        product_id = int(product_id)
        with lock(product_id):
            # Under the lock a sweep cannot race us: still in the set means still open.
            if not client.zrem(_expiry_key(product_id), rid):
                return jsonify(error="not found", detail=f"reservation {rid} expired"), 404
            if release:
                client.hincrby(STOCK, product_id, int(client.hget(_reservation_key(rid), "quantity") or 0))
            client.delete(_reservation_key(rid))
        reservations.labels("released" if release else "committed").inc()
        return jsonify(reservation_id=rid, state="released" if release else "committed")

    @app.post("/reservations/<rid>/commit")
    def commit(rid: str):
        return settle(rid, release=False)

    @app.delete("/reservations/<rid>")
    def release(rid: str):
        return settle(rid, release=True)

    @app.get("/stock/<int:product_id>")
    def stock(product_id: int):
        if product_id not in PRODUCTS:
            return jsonify(error="not found", detail=f"no product {product_id}"), 404
        with lock(product_id):
            sweep_expired(client, product_id, time.time())
            available = int(client.hget(STOCK, product_id) or 0)
        return jsonify(product_id=product_id, available=available)

    return app
