"""The evidence of one incident content is fetched once for all its channels, and fetched anew when it changes
or grows old."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from console.alerts.evidence import Evidence
from console.alerts.notify.pipeline import SharedEvidence


def counting(release: threading.Event | None = None):
    calls = []

    def fetch(incident):
        calls.append((incident.id, incident.content_hash))
        if release is not None:
            release.wait(5)
        return Evidence(expression=f"fetch {len(calls)}")

    return fetch, calls


def test_channels_sending_side_by_side_share_one_fetch():
    release = threading.Event()
    fetch, calls = counting(release)
    shared = SharedEvidence(fetch)
    incident = SimpleNamespace(id=1, content_hash="a")
    with ThreadPoolExecutor(3) as pool:
        got = [pool.submit(shared, incident) for _ in range(3)]
        release.set()
        evidence = {f.result(timeout=5).expression for f in got}
    assert calls == [(1, "a")] and evidence == {"fetch 1"}


def test_new_content_or_another_incident_is_fetched_anew():
    fetch, calls = counting()
    shared = SharedEvidence(fetch)
    for incident_id, content in ((1, "a"), (1, "a"), (1, "b"), (2, "b")):
        shared(SimpleNamespace(id=incident_id, content_hash=content))
    assert calls == [(1, "a"), (1, "b"), (2, "b")]


def test_evidence_older_than_its_freshness_is_fetched_anew():
    fetch, calls = counting()
    shared = SharedEvidence(fetch, fresh_s=0.0)
    incident = SimpleNamespace(id=1, content_hash="a")
    shared(incident)
    shared(incident)
    assert len(calls) == 2


def test_it_keeps_only_the_latest_contents():
    fetch, calls = counting()
    shared = SharedEvidence(fetch, keep=2)
    for n in (1, 2, 3, 3, 2, 1):
        shared(SimpleNamespace(id=n, content_hash="a"))
    assert [incident_id for incident_id, _ in calls] == [1, 2, 3, 1]


def test_a_failed_fetch_fails_its_message_and_the_next_one_tries_again():
    failures = []

    def fetch(incident):
        if not failures:
            failures.append(incident.id)
            raise RuntimeError("renderer broke")
        return Evidence(expression="second try")

    shared = SharedEvidence(fetch)
    with pytest.raises(RuntimeError, match="renderer broke"):
        shared(SimpleNamespace(id=1, content_hash="a"))
    assert shared(SimpleNamespace(id=1, content_hash="a")).expression == "second try"
