"""Concurrent fetching: every call runs at once, a failure or a straggler stays in its own outcome."""
from __future__ import annotations

import threading
import time

from console.correlate.fetch import collect, gather, submit
from console.errors import BackendUnavailable


def test_it_runs_the_calls_concurrently():
    barrier = threading.Barrier(3, timeout=2)
    # each call waits for the other two: this only finishes if all three run at the same time
    outcomes = gather({name: (lambda n=name: (barrier.wait(), n)[1]) for name in "abc"}, timeout=5)
    assert {name: f.value for name, f in outcomes.items()} == {"a": "a", "b": "b", "c": "c"}


def test_it_keeps_a_failure_to_its_own_outcome():
    def down():
        raise BackendUnavailable("elasticsearch", "connection refused")

    outcomes = gather({"logs": down, "metrics": lambda: [1, 2]}, timeout=5)
    assert outcomes["metrics"].value == [1, 2] and outcomes["metrics"].ok
    assert not outcomes["logs"].ok and outcomes["logs"].error == "elasticsearch: connection refused"


def test_it_does_not_wait_for_a_straggler_past_the_timeout():
    release = threading.Event()
    started = time.monotonic()
    outcomes = gather({"slow": lambda: release.wait(5), "fast": lambda: "done"}, timeout=0.3)
    release.set()
    assert time.monotonic() - started < 2
    assert outcomes["fast"].value == "done"
    assert outcomes["slow"].error == "no answer within 0.3s"


def test_it_turns_an_unexpected_exception_into_an_error_outcome():
    outcomes = gather({"bug": lambda: {}["missing"]}, timeout=5)
    assert outcomes["bug"].error == "KeyError: 'missing'"


def test_it_collects_later_what_it_submitted():
    release = threading.Event()
    pending = submit({"first": lambda: release.wait(5) and "first", "second": lambda: "second"})
    release.set()  # both were started by submit: collect only waits for them
    outcomes = collect(pending, timeout=5)
    assert {name: f.value for name, f in outcomes.items()} == {"first": "first", "second": "second"}


def test_it_counts_the_timeout_from_the_time_given():
    release = threading.Event()
    # the time was up before collect was called: it does not wait at all
    started = time.monotonic()
    outcomes = collect(submit({"slow": lambda: release.wait(5)}), timeout=0.5, since=started - 1)
    release.set()
    assert time.monotonic() - started < 0.4
    assert outcomes["slow"].error == "no answer within 0.5s"
