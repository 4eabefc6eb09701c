import time

import pytest

from console.backends import KINDS, create, probe_all
from console.backends.base import Health, probe
from console.errors import BackendUnavailable, ConfigError


def test_it_creates_every_known_kind(closed_port):
    for kind in KINDS:
        backend = create(kind, f"http://127.0.0.1:{closed_port}", timeout=1)
        assert backend.name == kind
        backend.close()


def test_it_refuses_an_unknown_kind():
    with pytest.raises(ConfigError, match="unknown kind 'graphite'"):
        create("graphite", "http://127.0.0.1:2003", timeout=1)


def test_it_refuses_a_timeout_that_is_not_positive():
    with pytest.raises(ConfigError, match="BACKEND_TIMEOUT"):
        create("prometheus", "http://127.0.0.1:9090", timeout=0)


def test_it_times_a_probe_with_the_given_clock():
    ticks = iter([10.0, 10.25])
    health = probe("x", "http://u:p@h:1", lambda: "fine", clock=lambda: next(ticks))
    assert health == Health("x", "http://***@h:1", True, 250.0, "fine")


def test_it_turns_a_failed_probe_into_an_unhealthy_result():
    def down():
        raise BackendUnavailable("x", "refused")

    assert probe("x", "http://h:1", down) == Health("x", "http://h:1", False, None, "refused")


def test_it_probes_concurrently_and_gives_up_at_the_timeout():
    class Slow:
        name, url = "slow", "http://h:1"

        def health(self):
            time.sleep(0.5)
            return Health("slow", self.url, True, 500.0, "late")

    started = time.monotonic()
    results = probe_all({"a": Slow(), "b": Slow(), "c": Slow()}, timeout=0.2)
    assert time.monotonic() - started < 0.45
    assert [(h.name, h.healthy, h.detail) for h in results] == [
        (name, False, "no answer within 0.2s") for name in "abc"]
