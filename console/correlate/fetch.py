"""Run a view's backend queries concurrently; each ends as a value or as the error that stopped it.

A failed or late query never takes the others down: its section shows a banner instead.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from console.errors import BackendUnavailable, OpsError
from console.waits import add_wait

log = logging.getLogger(__name__)

# Enough for the views of every request thread at once, with the report that a service page runs inside
# its own fan-out (that one waits on a thread of the pool for the report's queries).
MAX_WORKERS = 64
_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


@dataclass(frozen=True)
class Fetched:
    """The outcome of one query: ``value`` when it worked, else ``error`` (a short sentence) and its ``failure``."""

    value: Any = None
    error: str | None = None
    failure: Exception | None = None

    @property
    def ok(self) -> bool:
        """Whether the query answered."""
        return self.error is None


def _run(call: Callable[[], Any]) -> Fetched:
    try:
        return Fetched(value=call())
    except OpsError as e:
        return Fetched(error=str(e), failure=e)
    except Exception as e:  # one broken section must not cost the whole view
        log.exception("a dashboard query failed unexpectedly")
        return Fetched(error=f"{type(e).__name__}: {e}", failure=e)


def _pool() -> ThreadPoolExecutor:
    # One pool per process, its threads kept between requests: starting a dozen threads for every view cost
    # more than its fast queries on a busy machine. Per process, because a forked worker (gunicorn) does
    # not inherit its parent's threads, only a pool that believes it has them.
    pid = os.getpid()
    with _POOLS_LOCK:
        if pid not in _POOLS:
            _POOLS[pid] = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="correlate")
        return _POOLS[pid]


def submit(calls: dict[str, Callable[[], Any]]) -> dict[str, Future]:
    """Start every call at once, in the order given (the first submitted run first); collect them later."""
    return {name: _pool().submit(_run, call) for name, call in calls.items()}


def collect(futures: dict[str, Future], *, timeout: float, since: float | None = None) -> dict[str, Fetched]:
    """The outcomes of ``submit``'s calls; one still running ``timeout`` seconds after ``since`` (a
    ``time.monotonic()`` reading; default: now) ends as an error."""
    if not futures:
        return {}
    entered = time.monotonic()
    left = timeout if since is None else since + timeout - entered
    wait(futures.values(), timeout=max(0.0, left))
    add_wait(time.monotonic() - entered)
    # stragglers are ended by their own client timeout; the view does not wait for them, and what has
    # not started yet never will
    for future in futures.values():
        future.cancel()
    late = f"no answer within {timeout:g}s"
    return {name: future.result() if future.done() and not future.cancelled()
            else Fetched(error=late, failure=BackendUnavailable(name, late)) for name, future in futures.items()}


def gather(calls: dict[str, Callable[[], Any]], *, timeout: float) -> dict[str, Fetched]:
    """Run every call at once; one still running after ``timeout`` seconds ends as an error."""
    return collect(submit(calls), timeout=timeout)
