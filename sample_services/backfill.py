"""Backfill the shop's history into the stack's Prometheus: OpenMetrics → ``promtool`` blocks → its data directory.

Prometheus picks up blocks moved into its data directory at its next block reload (it reloads
after each compaction check, about once a minute), so ``backfill`` waits until the history
answers a query. Only whole hours older than Prometheus' head block (the last few hours,
which it is still writing) may be backfilled.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from console.errors import OpsError, UsageProblem
from deploy.local.layout import HOST, Layout, Ports
from sample_services.history import Incident, openmetrics

PROMTOOL = "/usr/bin/promtool"
HEAD_BLOCK = timedelta(hours=3)  # what Prometheus still holds in memory: never backfill into it
LOADED_TIMEOUT = 180.0
BLOCK_DURATION = "24h"


class BackfillFailed(OpsError, RuntimeError):
    """promtool refused the history, or Prometheus did not load it in time."""


def daily_incidents(start: datetime, end: datetime) -> tuple[Incident, ...]:
    """The incidents of a backfilled history, at known times: every day, payments fails 30 % of its requests
    for 20 minutes from 10:00 UTC, and the gateway is five times slower for 15 minutes from 16:00 UTC."""
    found = []
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        for incident in (Incident("payments", day.replace(hour=10), 20, error_ratio=0.3),
                         Incident("gateway", day.replace(hour=16), 15, error_ratio=0.01, latency_factor=5.0)):
            if start <= incident.start and incident.start + timedelta(minutes=incident.minutes) <= end:
                found.append(incident)
        day += timedelta(days=1)
    return tuple(found)


def check_window(start: datetime, end: datetime, now: datetime) -> None:
    """``UsageProblem`` unless ``[start, end)`` is a non-empty window that ends before the head block."""
    if end <= start:
        raise UsageProblem("the history must end after it starts")
    if end > now - HEAD_BLOCK:
        raise UsageProblem(f"the history must end at least {HEAD_BLOCK.seconds // 3600} h ago: "
                           "Prometheus is still writing the last hours itself")


def backfill(layout: Layout, ports: Ports, start: datetime, end: datetime, *, step_s: int = 60,
             peak_rps: float = 20.0, incidents: tuple[Incident, ...] = (), seed: int = 1,
             now: datetime | None = None) -> int:
    """Write the history into the stack's Prometheus and wait until it answers; the number of blocks moved in."""
    check_window(start, end, now or datetime.now(timezone.utc))
    moved = create_blocks(layout.data / "prometheus", start, end, step_s=step_s, peak_rps=peak_rps,
                          incidents=incidents, seed=seed)
    _wait_until_loaded(f"http://{HOST}:{ports.prometheus}", start + (end - start) / 2)
    return moved


def create_blocks(data_dir: Path, start: datetime, end: datetime, *, step_s: int = 60, peak_rps: float = 20.0,
                  incidents: tuple[Incident, ...] = (), seed: int = 1) -> int:
    """Write the history as TSDB blocks into a Prometheus data directory (a running Prometheus loads them at its
    next block reload, a starting one at once); the number of blocks."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="backfill-", dir=data_dir.parent) as tmp:
        work = Path(tmp)
        source = work / "history.om"
        with open(source, "w") as f:
            for line in openmetrics(start, end, step_s=step_s, peak_rps=peak_rps, incidents=incidents, seed=seed):
                f.write(line + "\n")
        blocks = work / "blocks"
        # day-long blocks: a fortnight is 15 blocks instead of 170 of two hours, read and loaded far faster
        done = subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", "--quiet",
                               f"--max-block-duration={BLOCK_DURATION}", str(source), str(blocks)],
                              capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            raise BackfillFailed(f"promtool: {(done.stderr or done.stdout).strip()[-500:]}")
        return len([shutil.move(str(block), data_dir / block.name) for block in sorted(blocks.iterdir())])


def _wait_until_loaded(url: str, at: datetime) -> None:
    deadline = time.monotonic() + LOADED_TIMEOUT
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(f"{url}/api/v1/query", params={"query": 'count(http_requests_total{history="backfill"})',
                                                              "time": at.timestamp()}, timeout=10).json()
            if answer.get("data", {}).get("result"):
                return
        except httpx.HTTPError:
            pass
        time.sleep(2)
    raise BackfillFailed(f"Prometheus at {url} did not load the history within {LOADED_TIMEOUT:.0f} s")
