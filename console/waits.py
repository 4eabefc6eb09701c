"""How long a request waited on its backend queries: the fan-outs add their waits, ``Server-Timing`` reports them.

Kept per context (one per request thread) and counted only while ``counting`` runs, so a fan-out outside a
request (the scaling loop, a command) counts nowhere.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

_WAITED: ContextVar[float | None] = ContextVar("opsconsole_backend_wait", default=None)


@contextlib.contextmanager
def counting() -> Iterator[Callable[[], float]]:
    """Count the waits of this context while the block runs; yields a reader of the seconds counted so far."""
    token = _WAITED.set(0.0)
    try:
        yield lambda: _WAITED.get() or 0.0
    finally:
        _WAITED.reset(token)


def add_wait(seconds: float) -> None:
    """Add ``seconds`` spent waiting on backend queries to the count of this context, if one is counting."""
    waited = _WAITED.get()
    if waited is not None:
        _WAITED.set(waited + seconds)
