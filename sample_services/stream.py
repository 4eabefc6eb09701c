"""The ``orders`` Redis Stream: publish order events with their trace context, consume them as a group."""
from __future__ import annotations

import math
import threading
from typing import Callable

import redis
from opentelemetry import propagate

STREAM = "orders"
GROUP = "payments"


def publish(client: redis.Redis, event: dict[str, str]) -> str:
    """``XADD orders`` one event plus the current ``traceparent``, so the consumer's span joins the trace."""
    fields = dict(event)
    propagate.inject(fields)
    return client.xadd(STREAM, fields, maxlen=100_000, approximate=True).decode()


def ensure_group(client: redis.Redis) -> None:
    """Create the consumer group (and the stream) if missing."""
    try:
        client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    except redis.ResponseError as e:
        if "BUSYGROUP" not in str(e):
            raise


def consumer_lag(client: redis.Redis) -> float:
    """Entries not yet acknowledged by the group: pending (delivered, unacked) plus not yet delivered."""
    try:
        for group in client.xinfo_groups(STREAM):
            if group["name"].decode() == GROUP:
                undelivered = group.get("lag")
                if undelivered is None:  # Redis cannot tell after deletions: count it the slow way
                    last = group["last-delivered-id"]
                    undelivered = len(client.xrange(STREAM, min=f"({last.decode()}", max="+"))
                return float(group["pending"] + undelivered)
    except redis.ResponseError:  # no stream yet
        return 0.0
    except redis.RedisError:
        return math.nan
    return 0.0


class Consumer:
    """Reads the stream as ``consumer`` in the group, hands each entry to ``handle``, then ``XACK``s it."""

    def __init__(self, client: redis.Redis, consumer: str, handle: Callable[[str, dict[str, str]], None], *,
                 block_ms: int = 500, count: int = 20):
        self.client = client
        self.consumer = consumer
        self.handle = handle
        self.block_ms = block_ms
        self.count = count
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> int:
        """Read and process one batch: first our own pending entries (after a crash), then new ones."""
        done = 0
        for start in ("0", ">"):
            batches = self.client.xreadgroup(GROUP, self.consumer, {STREAM: start}, count=self.count,
                                             block=None if start == "0" else self.block_ms)
            for _stream, entries in batches or []:
                for entry_id, raw in entries:
                    fields = {k.decode(): v.decode() for k, v in raw.items()}
                    self.handle(entry_id.decode(), fields)
                    self.client.xack(STREAM, GROUP, entry_id)
                    done += 1
        return done

    def run(self) -> None:
        """Poll until stopped; errors pause the loop briefly rather than end it (entries stay pending)."""
        while not self._stop.is_set():
            try:
                ensure_group(self.client)
                self.poll()
            except Exception:  # noqa: BLE001 - a consumer thread must outlive a bad batch
                self._stop.wait(1.0)

    def start(self) -> None:
        """Run in a daemon thread."""
        self._thread = threading.Thread(target=self.run, name=f"consumer-{self.consumer}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the loop to end and wait for it."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
