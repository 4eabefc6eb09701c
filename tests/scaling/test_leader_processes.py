"""Two real console processes (``opsconsole serve``) on one PostgreSQL: only the leader acts on the real stack;
SIGKILL it and the other takes over within two periods; no decision is applied twice.

The policy wants three catalog replicas (a constant 60 against 20 per replica) within a maximum
of two, so the first leader has exactly one thing to do: catalog 1 → 2, through the local executor.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, select

from console.scaling import lease
from console.scaling.models import RecommendationRecord, ScaleRecord
from sample_services import runtime
from scalekit import constant_policy

pytestmark = pytest.mark.stack

PERIOD = 4.0
# the bound is two periods; what the test adds on top is its own polling and the kill itself
SLACK = 0.3
POLICY = constant_policy("catalog", max_replicas=2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Console:
    """``opsconsole serve`` with one worker in a process group of its own, so a SIGKILL takes all of it."""

    def __init__(self, stack, config: Path, log: Path):
        self.port = free_port()
        env = {**stack.env(), "OPSCONSOLE_CONFIG": str(config), "OPSCONSOLE_SCALING_PERIOD": str(PERIOD)}
        with open(log, "ab") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "console", "serve", "--port", str(self.port),
                                             "--workers", "1"], env=env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise AssertionError(f"console on {self.port} did not come up: {log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL the whole console: master and worker, no chance to hand the lease over."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


@pytest.fixture
def shared(stack, shop, postgres_server, tmp_path):
    """A database on the session's PostgreSQL and a config naming it and the catalog policy."""
    from pg import create_database

    url = create_database(postgres_server, f"leader_{uuid.uuid4().hex[:12]}")
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "catalog.yml").write_text(POLICY)
    config = tmp_path / "console.yml"
    config.write_text(yaml.safe_dump({"DATABASE_URL": url, "SECRET_KEY": "leader-test",
                                      "SCALING_POLICIES_DIR": str(tmp_path / "policies")}))
    engine = create_engine(url)
    yield config, engine
    engine.dispose()
    runtime.services_up(stack.layout, stack.ports, {"catalog": 1})  # as the module's shop had it


def holder_pid(engine) -> int | None:
    held = lease.holder_of(engine)
    # the holder is "<host>:<pid>:<nonce>" of the worker that runs the loop
    return None if held is None else int(held.holder.split(":")[1])


def applied(engine) -> list[tuple[int, int, str]]:
    with engine.connect() as connection:
        rows = connection.execute(select(ScaleRecord.from_replicas, ScaleRecord.to_replicas, ScaleRecord.actor)
                                  .where(ScaleRecord.target == "catalog", ScaleRecord.result == "applied"))
        return [tuple(r) for r in rows]


def tick_times(engine) -> list:
    with engine.connect() as connection:
        return list(connection.scalars(select(RecommendationRecord.at).where(RecommendationRecord.target == "catalog")
                                       .order_by(RecommendationRecord.at)))


def worker_pids(console: Console) -> set[int]:
    found = subprocess.run(["pgrep", "-g", str(console.process.pid)], capture_output=True, text=True).stdout
    return {int(p) for p in found.split()}


def test_it_survives_a_sigkilled_leader_without_acting_twice(stack, shared, tmp_path):
    config, engine = shared
    first = Console(stack, config, tmp_path / "first.log")
    second = None
    try:
        deadline = time.monotonic() + 30
        while not applied(engine) and time.monotonic() < deadline:
            time.sleep(0.2)
        [(was, now, actor)] = applied(engine)
        assert (was, now) == (1, 2) and holder_pid(engine) in worker_pids(first)
        assert runtime.services_status(stack.layout) and sum(
            1 for r in runtime.services_status(stack.layout) if r["name"].startswith("catalog-") and r["healthy"]) == 2

        second = Console(stack, config, tmp_path / "second.log")
        time.sleep(2.5 * PERIOD)
        assert holder_pid(engine) in worker_pids(first)  # the second only campaigns
        # one tick a period while the first leads: two leaders would tick twice in a period
        ticks = tick_times(engine)
        assert len(ticks) >= 3 and min(b - a for a, b in zip(ticks, ticks[1:])) > timedelta(seconds=0.5 * PERIOD)

        first.kill()
        killed = time.monotonic()
        followers = worker_pids(second)
        while holder_pid(engine) not in followers and time.monotonic() - killed < 3 * PERIOD:
            time.sleep(0.1)
        took_over = time.monotonic() - killed
        print(f"takeover {took_over:.1f} s after SIGKILL (period {PERIOD:.0f} s)")
        assert holder_pid(engine) in followers and took_over <= 2 * PERIOD + SLACK

        before = len(tick_times(engine))
        time.sleep(2 * PERIOD)
        assert len(tick_times(engine)) > before  # the new leader ticks...
        assert applied(engine) == [(1, 2, actor)]  # ...and finds catalog at 2 already: nothing applied again
    finally:
        for console in (first, second):
            if console is not None:
                console.stop()
