"""The Lease's times without a server: what is sent, and how long a holder keeps it."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from kubernetes import client

from console.scaling.kubelease import as_lease, micro_time
from console.scaling.lease import Lease

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def test_it_sends_six_fractional_digits_even_at_a_whole_second():
    assert micro_time(T0).isoformat() == "2026-01-05T12:00:00.000000+00:00"
    assert micro_time(datetime(2026, 1, 5, 13, 0, 0, 250, tzinfo=timezone(timedelta(hours=1)))).isoformat() == \
        "2026-01-05T12:00:00.000250+00:00"
    lease = client.V1Lease(spec=client.V1LeaseSpec(renew_time=micro_time(T0)))
    api = client.ApiClient()
    try:
        assert api.sanitize_for_serialization(lease) == {"spec": {"renewTime": "2026-01-05T12:00:00.000000+00:00"}}
    finally:
        api.close()


def test_it_reads_the_holder_and_the_expiry_from_renew_time_and_duration():
    lease = client.V1Lease(spec=client.V1LeaseSpec(holder_identity="a", renew_time=T0, lease_duration_seconds=3))
    assert as_lease(lease) == Lease("a", T0 + timedelta(seconds=3))


def test_it_reads_a_released_lease_as_free():
    assert as_lease(client.V1Lease(spec=client.V1LeaseSpec(holder_identity=None, renew_time=T0,
                                                           lease_duration_seconds=1))) is None
