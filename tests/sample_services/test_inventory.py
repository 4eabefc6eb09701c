import threading
import time

import pytest

from sample_services import inventory
from sample_services.lock import LockBusy, RedisLock


def test_it_holds_the_lock_against_a_second_taker(rdb):
    first = RedisLock(rdb, "inventory:lock:1", wait=0.1)
    first.acquire()
    with pytest.raises(LockBusy):
        RedisLock(rdb, "inventory:lock:1", wait=0.1).acquire()
    assert first.release()
    with RedisLock(rdb, "inventory:lock:1", wait=0.1):
        pass


def test_it_never_releases_a_lock_it_lost(rdb):
    stale = RedisLock(rdb, "inventory:lock:2", ttl_ms=50)
    stale.acquire()
    rdb.set("inventory:lock:2", "someone-else")  # as if ours had expired and been retaken
    assert not stale.release()
    assert rdb.get("inventory:lock:2") == b"someone-else"


def test_it_never_oversells_under_concurrent_reservations(shop, rdb):
    client = inventory.create_app(shop.config("inventory")).test_client()
    rdb.hset(inventory.STOCK, 4, 10)
    codes: list[int] = []

    def reserve():
        for _ in range(5):
            codes.append(client.post("/reservations", json={"product_id": 4, "quantity": 1}).status_code)

    threads = [threading.Thread(target=reserve) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(codes) == [201] * 10 + [409] * 10
    assert client.get("/stock/4").json["available"] == 0


def test_it_returns_the_stock_of_expired_reservations(shop, rdb):
    client = inventory.create_app(shop.config("inventory", RESERVATION_TTL_SECONDS=0.2)).test_client()
    rdb.hset(inventory.STOCK, 5, 3)
    rid = client.post("/reservations", json={"product_id": 5, "quantity": 3}).json["reservation_id"]
    assert client.post("/reservations", json={"product_id": 5, "quantity": 1}).status_code == 409
    time.sleep(0.3)
    assert client.get("/stock/5").json["available"] == 3
    assert client.post(f"/reservations/{rid}/commit").status_code == 404


def test_it_keeps_committed_stock_and_returns_released_stock(shop, rdb):
    client = inventory.create_app(shop.config("inventory", RESERVATION_TTL_SECONDS=0.2)).test_client()
    rdb.hset(inventory.STOCK, 6, 5)
    kept = client.post("/reservations", json={"product_id": 6, "quantity": 2}).json["reservation_id"]
    freed = client.post("/reservations", json={"product_id": 6, "quantity": 1}).json["reservation_id"]
    assert client.post(f"/reservations/{kept}/commit").json["state"] == "committed"
    assert client.delete(f"/reservations/{freed}").json["state"] == "released"
    time.sleep(0.3)
    assert client.get("/stock/6").json["available"] == 3
    metrics = client.get("/metrics").text
    assert 'inventory_reservations_total{result="reserved"} 2.0' in metrics
    assert 'inventory_reservations_total{result="committed"} 1.0' in metrics
