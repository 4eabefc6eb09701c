"""Fault injection without restart: a Redis hash per service that every replica reads.

``opsconsole fault`` writes ``opsconsole:fault:<service>``; each replica re-reads it at most
four times a second (well inside one scrape interval, at one loopback round trip per
quarter second) and, for each request (never ``/metrics`` or ``/healthz``), adds latency and
answers 500 with the configured probability.
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Callable

import redis
from flask import Flask, jsonify, request

from console.errors import UsageProblem
from deploy.local.layout import SERVICES
from sample_services.telemetry import UNTRACED_PATHS, Telemetry


class InjectedFault(RuntimeError):
    """The error a replica raises on purpose when a fault is configured."""


@dataclass(frozen=True)
class Fault:
    """What to do to a service's requests: fail with ``error_rate`` probability, and delay by ``latency_ms``."""

    error_rate: float = 0.0
    latency_ms: int = 0

    def fails(self, rand: float) -> bool:
        """Whether a request that drew ``rand`` in [0, 1) is failed."""
        return rand < self.error_rate


NO_FAULT = Fault()


def fault_key(service: str) -> str:
    """The Redis hash holding one service's fault."""
    return f"opsconsole:fault:{service}"


def validate_fault(service: str, error_rate: float, latency_ms: int) -> Fault:
    """Check user input; an unknown service or out-of-range value raises ``UsageProblem``."""
    if service not in SERVICES:
        raise UsageProblem(f"unknown service {service!r} (one of: {', '.join(SERVICES)})")
    if not 0.0 <= error_rate <= 1.0:
        raise UsageProblem(f"--error-rate must be within [0, 1], got {error_rate}")
    if latency_ms < 0:
        raise UsageProblem(f"--latency-ms must be >= 0, got {latency_ms}")
    return Fault(error_rate, latency_ms)


def parse_fault(fields: dict) -> Fault:
    """A ``Fault`` from the Redis hash fields (bytes or str); missing or garbled fields mean no fault."""
    def get(name: str) -> str:
        value = fields.get(name, fields.get(name.encode(), b"0"))
        return value.decode() if isinstance(value, bytes) else str(value)

    try:
        return Fault(min(1.0, max(0.0, float(get("error_rate")))), max(0, int(float(get("latency_ms")))))
    except ValueError:
        return NO_FAULT


def set_fault(client: redis.Redis, service: str, fault: Fault) -> None:
    """Store a service's fault; replicas pick it up within a quarter of a second."""
    client.hset(fault_key(service), mapping={"error_rate": fault.error_rate, "latency_ms": fault.latency_ms})


def clear_fault(client: redis.Redis, service: str) -> None:
    """Remove a service's fault."""
    client.delete(fault_key(service))


class FaultReader:
    """The current fault of one service, read from Redis at most once per ``ttl`` seconds."""

    def __init__(self, client: redis.Redis, service: str, *, ttl: float = 0.25,
                 clock: Callable[[], float] = time.monotonic):
        self.client = client
        self.service = service
        self.ttl = ttl
        self.clock = clock
        self._fault = NO_FAULT
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def current(self) -> Fault:
        """The cached fault; when Redis is unreachable the last known one is kept."""
        now = self.clock()
        with self._lock:
            if self._read_at is not None and now - self._read_at < self.ttl:
                return self._fault
            self._read_at = now
        try:
            fault = parse_fault(self.client.hgetall(fault_key(self.service)))
        except redis.RedisError:
            return self._fault
        self._fault = fault
        return fault


def install(app: Flask, telemetry: Telemetry, reader: FaultReader) -> None:
    """Apply ``reader``'s fault to every request of ``app`` except ``/metrics`` and ``/healthz``."""
    def inject():
        if request.path in UNTRACED_PATHS:
            return None
        fault = reader.current()
        if fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)
        if fault.fails(random.random()):
            telemetry.record_error(InjectedFault(f"injected fault on {telemetry.service}"),
                                   f"injected fault: error_rate={fault.error_rate}")
            return jsonify(error="injected fault", detail=telemetry.service), 500
        return None

    app.before_request(inject)
