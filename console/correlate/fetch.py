"""Run a view's backend queries concurrently; each ends as a value or as the error that stopped it.

A failed or late query never takes the others down: its section shows a banner instead.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from console.errors import BackendUnavailable, OpsError

log = logging.getLogger(__name__)


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


def gather(calls: dict[str, Callable[[], Any]], *, timeout: float) -> dict[str, Fetched]:
    """Run every call at once; one still running after ``timeout`` seconds ends as an error."""
    if not calls:
        return {}
    pool = ThreadPoolExecutor(max_workers=min(16, len(calls)), thread_name_prefix="correlate")
    futures = {name: pool.submit(_run, call) for name, call in calls.items()}
    wait(futures.values(), timeout=timeout)
    # stragglers are ended by their own client timeout; the view does not wait for them
    pool.shutdown(wait=False, cancel_futures=True)
    late = f"no answer within {timeout:g}s"
    return {name: future.result() if future.done() and not future.cancelled()
            else Fetched(error=late, failure=BackendUnavailable(name, late)) for name, future in futures.items()}
