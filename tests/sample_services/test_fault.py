import time

import pytest

from console.errors import UsageProblem
from sample_services import catalog
from sample_services.fault import NO_FAULT, Fault, FaultReader, clear_fault, parse_fault, set_fault, validate_fault


@pytest.mark.parametrize("service, rate, latency", [
    ("warehouse", 0.5, 0),   # unknown service
    ("payments", 1.5, 0),    # rate above 1
    ("payments", -0.1, 0),   # rate below 0
    ("payments", 0.5, -1),   # negative latency
])
def test_it_rejects_bad_fault_input(service, rate, latency):
    with pytest.raises(UsageProblem):
        validate_fault(service, rate, latency)


def test_it_accepts_the_bounds():
    assert validate_fault("payments", 1.0, 0) == Fault(1.0, 0)
    assert validate_fault("gateway", 0.0, 250) == Fault(0.0, 250)


@pytest.mark.parametrize("fields, expected", [
    ({}, NO_FAULT),
    ({b"error_rate": b"0.25", b"latency_ms": b"40"}, Fault(0.25, 40)),
    ({b"error_rate": b"7"}, Fault(1.0, 0)),          # clamped
    ({b"error_rate": b"lots"}, NO_FAULT),            # garbled means none
])
def test_it_parses_the_stored_fault(fields, expected):
    assert parse_fault(fields) == expected


def test_it_fails_requests_below_the_rate():
    assert Fault(0.5).fails(0.49) and not Fault(0.5).fails(0.5)
    assert not NO_FAULT.fails(0.0)


def test_it_rereads_redis_only_after_the_ttl(rdb):
    now = [0.0]
    reader = FaultReader(rdb, "catalog", ttl=1.0, clock=lambda: now[0])
    assert reader.current() == NO_FAULT
    set_fault(rdb, "catalog", Fault(1.0, 0))
    now[0] = 0.5
    assert reader.current() == NO_FAULT
    now[0] = 1.0
    assert reader.current() == Fault(1.0, 0)


def test_it_flips_a_running_app_without_restart(shop, rdb):
    app = catalog.create_app(shop.config("catalog"))
    client = app.test_client()
    assert client.get("/products").status_code == 200
    set_fault(rdb, "catalog", Fault(1.0, 0))
    time.sleep(1.05)
    response = client.get("/products")
    assert response.status_code == 500 and response.json["error"] == "injected fault"
    assert client.get("/metrics").status_code == 200 and client.get("/healthz").status_code == 200
    assert '"InjectedFault"' in shop.logs.getvalue()
    clear_fault(rdb, "catalog")
    time.sleep(1.05)
    assert client.get("/products").status_code == 200
