import json
import time

import pytest

from sample_services import inventory, orders, payments, stream
from sample_services.fault import Fault, clear_fault, set_fault

ORDER = {"product_id": 1, "quantity": 2, "unit_price_cents": 2490}
TRACEPARENT = "00-1af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
def orders_client(shop):
    """The orders app, with inventory and payments served over real HTTP."""
    inventory_url = shop.serve(inventory.create_app(shop.config("inventory")))
    payments_url = shop.serve(payments.create_app(shop.config("payments", START_CONSUMER=False)))
    app = orders.create_app(shop.config("orders", INVENTORY_URL=inventory_url, PAYMENTS_URL=payments_url))
    return app.test_client()


def test_it_creates_an_order_once_per_idempotency_key(orders_client, rdb):
    first = orders_client.post("/orders", json=ORDER, headers={"Idempotency-Key": "k-1"})
    again = orders_client.post("/orders", json=ORDER, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and first.json["status"] == "confirmed" and first.json["amount_cents"] == 4980
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    assert rdb.xlen(stream.STREAM) == 1
    assert int(rdb.hget(inventory.STOCK, 1)) == inventory.INITIAL_STOCK - 2
    assert "orders_created_total 1.0" in orders_client.get("/metrics").text


def test_it_requires_an_idempotency_key(orders_client):
    assert orders_client.post("/orders", json=ORDER).status_code == 400


def test_it_publishes_the_event_inside_the_trace(orders_client, rdb):
    orders_client.post("/orders", json=ORDER, headers={"Idempotency-Key": "k-2", "traceparent": TRACEPARENT})
    ((_id, fields),) = rdb.xrange(stream.STREAM)
    assert fields[b"type"] == b"order.created"
    assert fields[b"traceparent"].decode().split("-")[1] == "1af7651916cd43dd8448eb211c80319c"


def test_it_releases_the_stock_when_payment_fails(orders_client, rdb, shop):
    set_fault(rdb, "payments", Fault(1.0, 0))
    response = orders_client.post("/orders", json=ORDER, headers={"Idempotency-Key": "k-3"})
    assert response.status_code == 502 and response.json["error"] == "payment failed"
    assert int(rdb.hget(inventory.STOCK, 1)) == inventory.INITIAL_STOCK
    assert rdb.exists(stream.STREAM) == 0
    assert orders_client.get(f"/orders/{response.json['order_id']}").json["status"] == "failed"
    injected = [json.loads(line) for line in shop.logs.getvalue().splitlines() if "InjectedFault" in line]
    assert injected and injected[0]["service"]["name"] == "payments"


def test_it_retries_a_failed_order_under_the_same_key(orders_client, rdb):
    set_fault(rdb, "payments", Fault(1.0, 0))
    failed = orders_client.post("/orders", json=ORDER, headers={"Idempotency-Key": "k-4"})
    clear_fault(rdb, "payments")
    time.sleep(1.05)  # the payments replica's fault cache
    retried = orders_client.post("/orders", json=ORDER, headers={"Idempotency-Key": "k-4"})
    assert failed.status_code == 502 and retried.status_code == 201
    assert retried.json["id"] == failed.json["order_id"] and retried.json["status"] == "confirmed"
    assert int(rdb.hget(inventory.STOCK, 1)) == inventory.INITIAL_STOCK - 2


def test_it_answers_a_declined_order_the_same_way_again(orders_client):
    big = {**ORDER, "unit_price_cents": 10**6}
    first = orders_client.post("/orders", json=big, headers={"Idempotency-Key": "k-5"})
    again = orders_client.post("/orders", json=big, headers={"Idempotency-Key": "k-5"})
    assert first.status_code == again.status_code == 402
    assert again.json["status"] == "declined"
