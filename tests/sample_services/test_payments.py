import time

from opentelemetry.trace import SpanKind

from sample_services import payments, stream

TRACEPARENT = "00-2af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def lag_of(client) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("payments_stream_consumer_lag "):
            return float(line.split()[1])
    raise AssertionError("no lag metric")


def test_it_authorizes_and_declines(shop):
    client = payments.create_app(shop.config("payments", START_CONSUMER=False)).test_client()
    assert client.post("/payments/authorize", json={"order_id": "o1", "amount_cents": 100}).status_code == 201
    assert client.post("/payments/authorize", json={"order_id": "o2", "amount_cents": 10**9}).status_code == 402
    assert 'payment_failures_total{reason="declined"} 1.0' in client.get("/metrics").text


def test_it_counts_pending_and_undelivered_events_as_lag(shop, rdb):
    app = payments.create_app(shop.config("payments", START_CONSUMER=False))
    client = app.test_client()
    stream.ensure_group(rdb)
    for n in range(3):
        rdb.xadd(stream.STREAM, {"type": "order.created", "order_id": f"o{n}"})
    assert lag_of(client) == 3.0
    # Delivered but unacknowledged entries still count.
    rdb.xreadgroup(stream.GROUP, "crashed", {stream.STREAM: ">"}, count=2)
    assert lag_of(client) == 3.0


def test_it_captures_from_the_stream_in_the_producers_trace(shop, rdb):
    app = payments.create_app(shop.config("payments", START_CONSUMER=False))
    client = app.test_client()
    client.post("/payments/authorize", json={"order_id": "o7", "amount_cents": 500})
    stream.ensure_group(rdb)
    rdb.xadd(stream.STREAM, {"type": "order.created", "order_id": "o7", "traceparent": TRACEPARENT})
    rdb.xadd(stream.STREAM, {"type": "order.created", "order_id": "never-authorized"})
    consumer = app.extensions["consumer"]
    consumer.start()
    try:
        deadline = time.monotonic() + 10
        while lag_of(client) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        consumer.stop()
    assert lag_of(client) == 0.0
    assert client.get("/payments/o7").json["state"] == "captured"
    metrics = client.get("/metrics").text
    assert 'payment_failures_total{reason="capture_without_authorization"} 1.0' in metrics
    consumed = [s for s in shop.spans.get_finished_spans() if s.kind == SpanKind.CONSUMER]
    assert format(consumed[0].context.trace_id, "032x") == "2af7651916cd43dd8448eb211c80319c"


def test_it_rereads_its_own_pending_entries_after_a_crash(rdb):
    stream.ensure_group(rdb)
    rdb.xadd(stream.STREAM, {"order_id": "o9"})
    rdb.xreadgroup(stream.GROUP, "payments-1", {stream.STREAM: ">"})  # delivered, then the process died
    seen = []
    assert stream.Consumer(rdb, "payments-1", lambda _id, fields: seen.append(fields), block_ms=10).poll() == 1
    assert seen == [{"order_id": "o9"}]
    assert stream.consumer_lag(rdb) == 0.0
