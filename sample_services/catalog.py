"""Products, read cache-aside through Redis with a TTL."""
from __future__ import annotations

import json

import redis
from flask import Flask, jsonify
from prometheus_client import Counter

from sample_services.service import new_app, redis_of, telemetry_of

PRODUCTS = {
    1: {"id": 1, "name": "Espresso beans 1 kg", "price_cents": 2490},
    2: {"id": 2, "name": "Burr grinder", "price_cents": 12900},
    3: {"id": 3, "name": "Pour-over kettle", "price_cents": 5400},
    4: {"id": 4, "name": "Paper filters x100", "price_cents": 690},
    5: {"id": 5, "name": "Milk jug", "price_cents": 1850},
    6: {"id": 6, "name": "Scale 0.1 g", "price_cents": 3990},
    7: {"id": 7, "name": "Tamper 58 mm", "price_cents": 2900},
    8: {"id": 8, "name": "Cleaning tablets", "price_cents": 990},
}
CACHE_TTL_SECONDS = 30


def create_app(config: dict | None = None) -> Flask:
    """The catalog app: ``/products`` and ``/products/<id>``."""
    app = new_app("catalog", config)
    telemetry, cache = telemetry_of(app), redis_of(app)
    ttl = int(app.config.get("CACHE_TTL_SECONDS", CACHE_TTL_SECONDS))
    hits = Counter("catalog_cache_hits_total", "Catalog reads served from Redis.", registry=telemetry.registry)
    misses = Counter("catalog_cache_misses_total", "Catalog reads that went to the source.",
                     registry=telemetry.registry)

    def cached(key: str, load):
        """Cache-aside: Redis first, else ``load()`` and store with a TTL; a Redis outage only costs speed."""
        try:
            raw = cache.get(key)
        except redis.RedisError:
            raw = None
        if raw is not None:
            hits.inc()
            return json.loads(raw)
        misses.inc()
        value = load()
        if value is not None:
            try:
                cache.set(key, json.dumps(value), ex=ttl)
            except redis.RedisError:
                pass  # serving from the source is still correct
        return value

    @app.get("/products")
    def products():
        return jsonify(cached("catalog:products", lambda: list(PRODUCTS.values())))

    @app.get("/products/<int:product_id>")
    def product(product_id: int):
        found = cached(f"catalog:product:{product_id}", lambda: PRODUCTS.get(product_id))
        if found is None:
            return jsonify(error="not found", detail=f"no product {product_id}"), 404
        return jsonify(found)

    return app
