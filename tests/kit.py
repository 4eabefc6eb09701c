"""Helpers shared by tests across areas."""
from __future__ import annotations

import time

import pytest


def eventually(check, *, timeout: float, interval: float = 0.5, what: str):
    """Call ``check`` until it returns a truthy value; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"{what} not true within {timeout:.0f} s (last: {last!r})")
