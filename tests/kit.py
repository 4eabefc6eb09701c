"""Helpers shared by tests across areas."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid

import httpx
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


def checkouts(url: str, stop: threading.Event, *, per_second: float, seconds: float) -> None:
    """Checkouts at a steady pace until ``stop`` (at most ``seconds``): each one calls payments."""
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=url, timeout=5) as http:
        for n in range(int(per_second * seconds)):
            if stop.is_set() or time.monotonic() > deadline:
                return
            http.post("/api/checkout", json={"product_id": 1 + n % 5, "quantity": 1},
                      headers={"Idempotency-Key": uuid.uuid4().hex})
            time.sleep(1 / per_second)


def payments_fault(stack, *args: str) -> None:
    """``opsconsole fault payments ARGS`` against the session's stack, as a user runs it."""
    subprocess.run([sys.executable, "-m", "console", "fault", "payments", *args], env=stack.env(), check=True,
                   timeout=30)
