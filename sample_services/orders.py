"""Orders: idempotent create in SQLite, stock reserved in inventory, payment authorized, event published.

All orders replicas share one SQLite file in WAL mode (readers never block the writer, and
``busy_timeout`` serialises writers), so an ``Idempotency-Key`` is honoured whichever replica
a retry lands on.
"""
from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path

from flask import Flask, jsonify, request
from prometheus_client import Counter

from sample_services import stream
from sample_services.downstream import Downstream, DownstreamUnavailable
from sample_services.service import new_app, redis_of, telemetry_of

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    product_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL
)"""
# What a repeated Idempotency-Key gets for an order in each final (or in-flight) state.
REPLAY_STATUS = {"confirmed": 200, "pending": 409, "rejected": 409, "declined": 402}
COLUMNS = ("id", "idempotency_key", "product_id", "quantity", "amount_cents", "status", "created_at")


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the orders database, created on first use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=5.0, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA busy_timeout=5000")
    # In WAL mode NORMAL never corrupts the file and skips an fsync per commit.
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(SCHEMA)
    return db


def _order(row) -> dict | None:
    return dict(zip(COLUMNS, row)) if row else None


def create_app(config: dict | None = None) -> Flask:
    """The orders app: ``POST /orders`` (needs ``Idempotency-Key``) and ``GET /orders/<id>``."""
    app = new_app("orders", config)
    telemetry, client = telemetry_of(app), redis_of(app)
    db_path = Path(app.config["DATA_DIR"]) / "orders.db"
    connect(db_path).close()
    created = Counter("orders_created_total", "Orders confirmed.", registry=telemetry.registry)
    inventory = Downstream(telemetry.client("inventory", app.config["INVENTORY_URL"], timeout=2.0))
    payments = Downstream(telemetry.client("payments", app.config["PAYMENTS_URL"], timeout=2.0))

    def find(db: sqlite3.Connection, column: str, value: str) -> dict | None:
        return _order(db.execute(f"SELECT {', '.join(COLUMNS)} FROM orders WHERE {column} = ?", (value,)).fetchone())

    def set_status(db: sqlite3.Connection, order_id: str, status: str) -> None:
        db.execute("UPDATE orders SET status = ? WHERE id = ?", (status, order_id))

    @app.errorhandler(DownstreamUnavailable)
    def unavailable(e: DownstreamUnavailable):
        telemetry.record_error(e, f"downstream unavailable: {e}")
        return jsonify(error="service unavailable", detail=str(e)), 503

    @app.post("/orders")
    def create():
        key = request.headers.get("Idempotency-Key", "")
        body = request.get_json(silent=True) or {}
        product_id, quantity, price = body.get("product_id"), body.get("quantity"), body.get("unit_price_cents")
        if not key or not all(isinstance(v, int) for v in (product_id, quantity, price)) or quantity < 1:
            return jsonify(error="bad request",
                           detail="need Idempotency-Key and integer product_id, quantity, unit_price_cents"), 400
        db = connect(db_path)
        try:
            order = {"id": uuid.uuid4().hex, "idempotency_key": key, "product_id": product_id,
                     "quantity": quantity, "amount_cents": price * quantity, "status": "pending",
                     "created_at": time.time()}
            try:
                db.execute(f"INSERT INTO orders ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                           tuple(order[c] for c in COLUMNS))
            except sqlite3.IntegrityError:
                # A repeat of a key we have seen: never act twice, except to retry an attempt that
                # failed midway (its stock was released, nothing was charged).
                order = find(db, "idempotency_key", key)
                retry = db.execute("UPDATE orders SET status = 'pending' WHERE id = ? AND status = 'failed'",
                                   (order["id"],)).rowcount
                if not retry:
                    return jsonify(order), REPLAY_STATUS[order["status"]]
            return place(db, order)
        finally:
            db.close()

    def place(db: sqlite3.Connection, order: dict):
        oid = order["id"]
        try:
            reserved = inventory.call("POST", "/reservations", json={
                "product_id": order["product_id"], "quantity": order["quantity"], "order_id": oid})
        except DownstreamUnavailable:
            set_status(db, oid, "failed")
            raise
        if reserved.status_code != 201:
            set_status(db, oid, "failed" if reserved.status_code >= 500 else "rejected")
            return jsonify(error="not reserved", detail=reserved.text[:200], order_id=oid), \
                409 if reserved.status_code == 409 else 502
        rid = reserved.json()["reservation_id"]
        try:
            paid = payments.call("POST", "/payments/authorize",
                                 json={"order_id": oid, "amount_cents": order["amount_cents"]})
        except DownstreamUnavailable:
            paid = None
        if paid is None or paid.status_code != 201:
            declined = paid is not None and paid.status_code == 402
            set_status(db, oid, "declined" if declined else "failed")
            # Should this release fail, the reservation still expires and returns the stock.
            inventory.call("DELETE", f"/reservations/{rid}")
            detail = f"payments answered {paid.status_code}" if paid is not None else "payments unavailable"
            return jsonify(error="payment failed", detail=detail, order_id=oid), 402 if declined else 502
        inventory.call("POST", f"/reservations/{rid}/commit", headers={"Idempotency-Key": rid})
        set_status(db, oid, "confirmed")
        stream.publish(client, {"type": "order.created", "order_id": oid,
                                "amount_cents": str(order["amount_cents"])})
        created.inc()
        telemetry.logger.info(f"order {oid} confirmed",
                              extra={"event.action": "order-created", "event.outcome": "success"})
        return jsonify(find(db, "id", oid)), 201

    @app.get("/orders/<order_id>")
    def get(order_id: str):
        db = connect(db_path)
        try:
            found = find(db, "id", order_id)
        finally:
            db.close()
        if found is None:
            return jsonify(error="not found", detail=f"no order {order_id}"), 404
        return jsonify(found)

    return app
