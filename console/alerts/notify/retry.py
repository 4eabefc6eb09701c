"""Retry with exponential backoff: the only place in notify that waits and tries again.

Transient failures (``NotifyError(permanent=False)``) are retried up to ``attempts`` times in
all, waiting ``base``, ``base * factor``, ... (at most ``cap``) between tries; a permanent one
ends the tries at once. ``sleep`` is injected so the tests need no clock.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from console.errors import NotifyError

__all__ = ["Backoff", "send_with_retry"]


@dataclass(frozen=True)
class Backoff:
    """How often and how patiently to try."""

    attempts: int = 3
    base: float = 1.0
    factor: float = 2.0
    cap: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {self.attempts}")
        if self.base < 0 or self.factor < 1 or self.cap < 0:
            raise ValueError("base and cap must be >= 0 and factor >= 1")

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return min(self.cap, self.base * self.factor ** (attempt - 1))


def send_with_retry(send: Callable[[], None], backoff: Backoff, *,
                    on_failure: Callable[[int, NotifyError], None] = lambda attempt, error: None,
                    sleep: Callable[[float], None] = time.sleep) -> int:
    """Call ``send`` until it succeeds; the number of attempts it took, or the last ``NotifyError``.

    ``on_failure(attempt, error)`` hears of every failed attempt, so each one can be recorded.
    """
    for attempt in range(1, backoff.attempts + 1):
        try:
            send()
            return attempt
        except NotifyError as e:
            on_failure(attempt, e)
            if e.permanent or attempt == backoff.attempts:
                raise
            sleep(backoff.delay(attempt))
    raise AssertionError("unreachable: the loop returns or raises")
