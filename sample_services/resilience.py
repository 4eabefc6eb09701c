"""Pure guards for downstream calls: a token bucket, a circuit breaker and retry backoff.

Each takes "now" as an argument so tests need no clock; the gateway feeds them
``time.monotonic()``.
"""
from __future__ import annotations

import threading

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class TokenBucket:
    """Admit ``rate`` requests a second on average, with bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float, *, now: float = 0.0):
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._stamp = now
        self._lock = threading.Lock()

    def take(self, now: float, n: float = 1.0) -> float:
        """Take ``n`` tokens: 0.0 if admitted, else the seconds until they would be available."""
        with self._lock:
            elapsed = max(0.0, now - self._stamp)
            self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
            self._stamp = max(self._stamp, now)
            if self._tokens >= n:
                self._tokens -= n
                return 0.0
            return (n - self._tokens) / self.rate


class CircuitBreaker:
    """Stop calling a failing peer: open after ``threshold`` consecutive failures, probe after ``reset_after`` s."""

    def __init__(self, threshold: int = 5, reset_after: float = 5.0):
        if threshold < 1 or reset_after <= 0:
            raise ValueError("threshold must be >= 1 and reset_after > 0")
        self.threshold = threshold
        self.reset_after = reset_after
        self.state = CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False
        self._lock = threading.Lock()

    def allow(self, now: float) -> bool:
        """Whether a call may go out now; in half-open only one probe at a time is let through."""
        with self._lock:
            if self.state == OPEN and now - self._opened_at >= self.reset_after:
                self.state = HALF_OPEN
                self._probing = False
            if self.state == CLOSED:
                return True
            if self.state == HALF_OPEN and not self._probing:
                self._probing = True
                return True
            return False

    def record_success(self, now: float) -> None:
        """A call succeeded: close the circuit."""
        with self._lock:
            self.state = CLOSED
            self._failures = 0
            self._probing = False

    def record_failure(self, now: float) -> None:
        """A call failed: count it, and open the circuit at the threshold or on a failed probe."""
        with self._lock:
            self._failures += 1
            if self.state == HALF_OPEN or self._failures >= self.threshold:
                self.state = OPEN
                self._opened_at = now
                self._probing = False


def backoff_delay(attempt: int, *, base: float, cap: float, rand: float) -> float:
    """Full-jitter backoff before retry ``attempt`` (0-based): ``rand * min(cap, base * 2**attempt)``."""
    if not 0.0 <= rand <= 1.0:
        raise ValueError("rand must be in [0, 1]")
    return rand * min(cap, base * (2 ** attempt))


def is_idempotent(method: str, headers: dict[str, str] | None = None) -> bool:
    """Whether a call may be retried: safe methods, or a POST carrying an ``Idempotency-Key``."""
    if method.upper() in IDEMPOTENT_METHODS:
        return True
    return any(k.lower() == "idempotency-key" for k in (headers or {}))
