"""A guarded downstream peer: timeouts, retries with jitter (idempotent calls only), circuit breaker."""
from __future__ import annotations

import random
import time

import httpx

from sample_services.resilience import CircuitBreaker, backoff_delay, is_idempotent
from sample_services.telemetry import TracedClient


class DownstreamUnavailable(RuntimeError):
    """The peer could not give an answer: circuit open, or every attempt failed."""

    def __init__(self, peer: str, reason: str, *, circuit_open: bool = False):
        super().__init__(f"{peer}: {reason}")
        self.peer = peer
        self.circuit_open = circuit_open


class Downstream:
    """Calls one peer through a breaker; retries connection errors and 5xx when the call is idempotent."""

    def __init__(self, client: TracedClient, *, retries: int = 2, breaker: CircuitBreaker | None = None,
                 backoff_base: float = 0.02, backoff_cap: float = 0.2):
        self.client = client
        self.retries = retries
        self.breaker = breaker or CircuitBreaker(threshold=5, reset_after=5.0)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap

    def call(self, method: str, path: str, *, json=None, headers: dict[str, str] | None = None) -> httpx.Response:
        """One logical call; returns the last response (4xx included) or raises ``DownstreamUnavailable``."""
        attempts = 1 + (self.retries if is_idempotent(method, headers) else 0)
        reason = "no attempt"
        for attempt in range(attempts):
            if attempt:
                time.sleep(backoff_delay(attempt - 1, base=self.backoff_base, cap=self.backoff_cap,
                                         rand=random.random()))
            if not self.breaker.allow(time.monotonic()):
                raise DownstreamUnavailable(self.client.peer, "circuit open", circuit_open=True)
            try:
                response = self.client.request(method, path, json=json, headers=headers)
            except httpx.HTTPError as e:
                self.breaker.record_failure(time.monotonic())
                reason = f"{type(e).__name__}"
                continue
            if response.status_code < 500:
                self.breaker.record_success(time.monotonic())
                return response
            self.breaker.record_failure(time.monotonic())
            reason = f"HTTP {response.status_code}"
            if attempt == attempts - 1:
                return response
        raise DownstreamUnavailable(self.client.peer, reason)
