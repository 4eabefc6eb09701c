"""Backoff: how long to wait between tries, and when to stop."""
from __future__ import annotations

import pytest

from console.alerts.notify.retry import Backoff, send_with_retry
from console.errors import NotifyError


class Flaky:
    """Fails with each error of ``errors`` in turn, then succeeds."""

    def __init__(self, *errors: NotifyError):
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)


TRANSIENT = NotifyError("chat", "HTTP 503")
PERMANENT = NotifyError("chat", "HTTP 404", permanent=True)


@pytest.mark.parametrize("errors, attempts, waits", [
    pytest.param((), 1, [], id="first try succeeds"),
    pytest.param((TRANSIENT, TRANSIENT), 3, [1.0, 2.0], id="transient failures wait longer each time"),
])
def test_it_tries_until_it_succeeds(errors, attempts, waits):
    slept, failures = [], []
    send = Flaky(*errors)
    assert send_with_retry(send, Backoff(attempts=4, base=1.0), sleep=slept.append,
                           on_failure=lambda n, e: failures.append(n)) == attempts
    assert slept == waits and failures == list(range(1, attempts))


def test_it_gives_up_after_the_last_attempt():
    slept = []
    send = Flaky(TRANSIENT, TRANSIENT, TRANSIENT)
    with pytest.raises(NotifyError, match="503"):
        send_with_retry(send, Backoff(attempts=3, base=0.5), sleep=slept.append)
    assert send.calls == 3 and slept == [0.5, 1.0]


def test_it_stops_at_a_permanent_failure():
    slept = []
    send = Flaky(PERMANENT)
    with pytest.raises(NotifyError, match="404"):
        send_with_retry(send, Backoff(attempts=5), sleep=slept.append)
    assert send.calls == 1 and slept == []


def test_it_caps_the_wait():
    assert [Backoff(base=10, factor=4, cap=60).delay(n) for n in (1, 2, 3)] == [10, 40, 60]


@pytest.mark.parametrize("kwargs", [{"attempts": 0}, {"base": -1}, {"factor": 0.5}], ids=str)
def test_it_refuses_a_backoff_that_makes_no_sense(kwargs):
    with pytest.raises(ValueError):
        Backoff(**kwargs)
