"""The one place that waits before trying again: exponential backoff with jitter, a limit, a way out.

The sink never sleeps; it says what is worth sending again. The shipper asks ``Retry.wait``
before each new attempt, and gives up when the limit is passed (a one-shot run) or when it
is being stopped and the grace after the stop has run out.
"""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout

from console.errors import BackendUnavailable

__all__ = ["Abandoned", "Retry", "backoff"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class Abandoned(Exception):
    """Stopping while still retrying: whatever was not acknowledged is read again at the next start."""


def backoff(attempt: int, *, base: float = 0.1, cap: float = 10.0, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): exponential, capped, with jitter."""
    delay = min(cap, base * 2 ** (attempt - 1))
    # "Equal jitter": at least half the delay, so retries spread out yet still back off.
    return delay * (0.5 + 0.5 * (rng or random).random())


class Retry:
    """Waits out the backoff before an attempt; ``limit`` retries at most (None: no limit)."""

    def __init__(self, *, target: str, limit: int | None = None, base: float = 0.1, cap: float = 10.0,
                 abandon: Callable[[], bool] = lambda: False, sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None):
        self.target, self.limit, self.base, self.cap = target, limit, base, cap
        self.abandon, self.sleep, self.rng = abandon, sleep, rng

    def wait(self, attempt: int, reason: str) -> None:
        """Sleep before retry ``attempt``; BackendUnavailable past the limit, Abandoned when told to give up."""
        if self.limit is not None and attempt > self.limit:
            raise BackendUnavailable("elasticsearch", f"{self.target}: still failing after {self.limit} retries ({reason})")
        delay = backoff(attempt, base=self.base, cap=self.cap, rng=self.rng)
        log.warning("elasticsearch not accepting (%s); retry %d in %.1fs", reason, attempt, delay)
        # Sleep in short steps so a stop is noticed within a fraction of a second.
        remaining = delay
        while remaining > 0:
            if self.abandon():
                raise Abandoned()
            step = min(0.2, remaining)
            self.sleep(step)
            remaining -= step
        if self.abandon():
            raise Abandoned()

    def call(self, action: Callable[[], T]) -> T:
        """Run ``action`` until it gets through: transport errors (refused, reset, timed out) are retried."""
        attempt = 0
        while True:
            try:
                return action()
            except (TransportConnectionError, ConnectionTimeout) as e:
                attempt += 1
                self.wait(attempt, f"transport: {type(e).__name__}")
