import socket
import threading

import pytest

from console.errors import UsageProblem
from sample_services.loadgen import percentile, rate_at, run_load, validate


@pytest.mark.parametrize("profile, t, expected", [
    ("steady", 0.0, 10.0),
    ("steady", 99.9, 10.0),
    ("spike", 10.0, 10.0),       # before the spike
    ("spike", 50.0, 40.0),       # the middle fifth is 4x
    ("spike", 60.0, 10.0),       # after it
    ("diurnal", 0.0, 1.0),       # night: 10%
    ("diurnal", 50.0, 10.0),     # noon: full rate
    ("steady", 100.0, 0.0),      # the run is over
    ("steady", -1.0, 0.0),       # not started
])
def test_it_schedules_the_rate_of_each_profile(profile, t, expected):
    assert rate_at(profile, t, 10.0, 100.0) == pytest.approx(expected)


def test_it_keeps_the_diurnal_rate_between_night_and_noon():
    rates = [rate_at("diurnal", t, 20.0, 60.0) for t in range(60)]
    assert min(rates) == pytest.approx(2.0)
    assert max(rates) <= 20.0


@pytest.mark.parametrize("profile, rps, duration", [
    ("steady", 0, 10), ("steady", -5, 10), ("steady", 5, 0), ("steady", 5, -1), ("weekly", 5, 5)])
def test_it_rejects_bad_load_input(profile, rps, duration):
    with pytest.raises(UsageProblem):
        validate(profile, rps, duration)


def test_it_takes_nearest_rank_percentiles():
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50.0, 95.0, 99.0)
    assert percentile([], 50) == 0.0


def test_it_sends_the_scheduled_requests_and_summarises(shop):
    from sample_services import catalog, gateway
    catalog_url = shop.serve(catalog.create_app(shop.config("catalog")))
    url = shop.serve(gateway.create_app(shop.config("gateway", CATALOG_URL=catalog_url,
                                                    ORDERS_URL="http://127.0.0.1:9")))
    summary = run_load(url, "steady", 40, 1.0, seed=7)
    assert 30 <= summary.sent <= 45
    # Checkouts fail (no orders service here); every product read succeeds.
    assert summary.ok + sum(summary.errors.values()) == summary.sent
    assert set(summary.errors) <= {"503"}
    assert summary.ok >= summary.sent * 0.7
    assert 0 < summary.p50_ms <= summary.p95_ms <= summary.p99_ms


def test_it_sends_what_a_tick_after_the_end_still_owes(closed_url):
    # The whole run is shorter than one tick: every request is owed by the tick that comes after its end.
    summary = run_load(closed_url, "steady", 1000, 0.01)
    assert summary.sent + summary.skipped == 10
    assert summary.ok == 0 and sum(summary.errors.values()) == summary.sent


def test_it_sends_again_once_what_a_closed_keep_alive_connection_dropped():
    # a server that hangs up on the first request without a word, then answers the next ones
    hung_up = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                if not hung_up.is_set():
                    hung_up.set()
                    continue
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    threading.Thread(target=serve, daemon=True).start()
    try:
        summary = run_load(f"http://127.0.0.1:{listener.getsockname()[1]}", "steady", 1000, 0.001)
    finally:
        listener.close()
    assert (summary.sent, summary.ok, summary.errors, summary.retried) == (1, 1, {}, 1)
    assert "retried 1" in summary.lines()[-1]
