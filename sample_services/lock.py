"""A Redis lock: ``SET key token NX PX ttl`` to take it, compare-and-delete to release it."""
from __future__ import annotations

import time
import uuid

import redis

# Deleting only when the value is still our token stops us from freeing a lock that expired
# and was taken by someone else meanwhile.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


class LockBusy(RuntimeError):
    """The lock was held by someone else for the whole wait."""


class RedisLock:
    """A lock on ``key`` held at most ``ttl_ms``; ``acquire`` waits up to ``wait`` seconds."""

    def __init__(self, client: redis.Redis, key: str, *, ttl_ms: int = 2000, wait: float = 1.0):
        self.client = client
        self.key = key
        self.ttl_ms = ttl_ms
        self.wait = wait
        self.token = uuid.uuid4().hex

    def acquire(self) -> None:
        """Take the lock or raise ``LockBusy`` after ``wait`` seconds."""
        deadline = time.monotonic() + self.wait
        while not self.client.set(self.key, self.token, nx=True, px=self.ttl_ms):
            if time.monotonic() >= deadline:
                raise LockBusy(self.key)
            time.sleep(0.005)

    def release(self) -> bool:
        """Release the lock if it is still ours; False if it had expired or changed hands."""
        return bool(self.client.eval(_RELEASE, 1, self.key, self.token))

    def __enter__(self) -> RedisLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
