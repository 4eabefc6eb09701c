"""Leader election through a ``coordination.k8s.io`` Lease, for consoles whose executor is Kubernetes.

The same shape and rule as the database lease (``console.scaling.lease``): ``acquire`` takes or
renews the Lease when nobody holds it, it is the caller's, or it expired (``renewTime`` +
``leaseDurationSeconds`` has passed); ``release`` hands it over at once. The apiserver decides a
race: every write carries the ``resourceVersion`` that was read (a create fails if another created
it first), so of two consoles writing at once one gets a 409 Conflict and stays a follower.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from console.errors import BackendError, BackendUnavailable
from console.scaling.lease import LOOP_LEASE, Lease, may_act

__all__ = ["Leases", "MicroTime", "acquire", "as_lease", "holder_of", "micro_time", "release"]

TIMEOUT = 5.0


@dataclass(frozen=True)
class Leases:
    """Where the Leases live: an API client and a namespace (the engine of the database lease)."""

    api_client: client.ApiClient
    namespace: str

    @property
    def api(self) -> client.CoordinationV1Api:
        return client.CoordinationV1Api(self.api_client)


def acquire(leases: Leases, holder: str, now: datetime, ttl: timedelta, *, name: str = LOOP_LEASE) -> bool:
    """Take or renew Lease ``name`` for ``holder`` until ``now + ttl``; False when another holds it unexpired."""
    seconds = max(1, math.ceil(ttl.total_seconds()))
    current = _read(leases, name)
    if current is None:
        body = client.V1Lease(metadata=client.V1ObjectMeta(name=name), spec=client.V1LeaseSpec(
            holder_identity=holder, lease_duration_seconds=seconds, acquire_time=micro_time(now),
            renew_time=micro_time(now), lease_transitions=0))
        return _write(lambda: leases.api.create_namespaced_lease(leases.namespace, body, _request_timeout=TIMEOUT))
    if not may_act(as_lease(current), holder, now):
        return False
    spec = current.spec
    if spec.holder_identity != holder:
        spec.acquire_time, spec.lease_transitions = now, (spec.lease_transitions or 0) + 1
    spec.holder_identity, spec.renew_time, spec.lease_duration_seconds = holder, now, seconds
    return _replace(leases, current)


def release(leases: Leases, holder: str, now: datetime, *, name: str = LOOP_LEASE) -> None:
    """Give Lease ``name`` up at ``now`` if ``holder`` has it, so another console need not wait for it to expire."""
    current = _read(leases, name)
    if current is None or current.spec.holder_identity != holder:
        return
    current.spec.holder_identity, current.spec.renew_time, current.spec.lease_duration_seconds = None, now, 1
    _replace(leases, current)


def holder_of(leases: Leases, *, name: str = LOOP_LEASE) -> Lease | None:
    """Lease ``name`` as stored, if it was ever taken and is held."""
    current = _read(leases, name)
    return None if current is None else as_lease(current)


def as_lease(lease: client.V1Lease) -> Lease | None:
    """Who holds a Kubernetes Lease and until when; None when it is free (released, or never renewed)."""
    spec = lease.spec
    if not spec.holder_identity or spec.renew_time is None:
        return None
    return Lease(spec.holder_identity, spec.renew_time + timedelta(seconds=spec.lease_duration_seconds or 0))


class MicroTime(datetime):
    """A time that serializes as a Lease's MicroTime: RFC 3339 with exactly six fractional digits.

    The client sends ``isoformat()``, which drops the fraction at a whole second; the apiserver then refuses
    the Lease (400: cannot parse as .000000).
    """

    def isoformat(self, sep: str = "T", timespec: str = "microseconds") -> str:
        return super().isoformat(sep, "microseconds")


def micro_time(moment: datetime) -> MicroTime:
    """``moment`` in UTC as a MicroTime."""
    utc = moment.astimezone(UTC)
    return MicroTime(utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond, tzinfo=UTC)


def _replace(leases: Leases, current: client.V1Lease) -> bool:
    spec = current.spec
    spec.acquire_time = micro_time(spec.acquire_time) if spec.acquire_time else None
    spec.renew_time = micro_time(spec.renew_time) if spec.renew_time else None
    # the object as read, resourceVersion included: a write by anyone since makes this a 409
    return _write(lambda: leases.api.replace_namespaced_lease(current.metadata.name, leases.namespace, current,
                                                             _request_timeout=TIMEOUT))


def _read(leases: Leases, name: str) -> client.V1Lease | None:
    try:
        return leases.api.read_namespaced_lease(name, leases.namespace, _request_timeout=TIMEOUT)
    except ApiException as e:
        if e.status == 404:
            return None
        raise BackendError("kubernetes", f"reading Lease {name}: {e.status} {e.reason}", status=e.status) from e
    except HTTPError as e:
        raise BackendUnavailable("kubernetes", str(e)) from e


def _write(call) -> bool:
    try:
        call()
    except ApiException as e:
        if e.status == 409:
            return False  # another console wrote first: it leads
        raise BackendError("kubernetes", f"writing a Lease: {e.status} {e.reason}", status=e.status) from e
    except HTTPError as e:
        raise BackendUnavailable("kubernetes", str(e)) from e
    return True
