"""Open-loop load against the gateway: a rate schedule per profile, bounded threads, a latency summary."""
from __future__ import annotations

import math
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from console.errors import UsageProblem
from sample_services.catalog import PRODUCTS

PROFILES = ("steady", "spike", "diurnal")
TICK_SECONDS = 0.05
MAX_WORKERS = 32


def validate(profile: str, rps: float, duration: float) -> None:
    """Reject an unknown profile or a non-positive rate or duration with ``UsageProblem``."""
    if profile not in PROFILES:
        raise UsageProblem(f"unknown profile {profile!r} (one of: {', '.join(PROFILES)})")
    if not rps > 0:
        raise UsageProblem(f"--rps must be > 0, got {rps}")
    if not duration > 0:
        raise UsageProblem(f"--duration must be > 0, got {duration}")


def rate_at(profile: str, t: float, rps: float, duration: float) -> float:
    """Requests per second wanted at ``t`` seconds into a run.

    steady: ``rps`` throughout; spike: ``rps`` with 4x during the middle fifth;
    diurnal: one day squeezed into the run, from 10% of ``rps`` at night to ``rps`` at noon.
    """
    if not 0 <= t < duration:
        return 0.0
    if profile == "steady":
        return rps
    if profile == "spike":
        return rps * 4 if 0.4 * duration <= t < 0.6 * duration else rps
    if profile == "diurnal":
        return rps * (0.1 + 0.9 * (0.5 - 0.5 * math.cos(2 * math.pi * t / duration)))
    raise ValueError(f"unknown profile {profile!r}")


def percentile(sorted_values: list[float], q: float) -> float:
    """The nearest-rank ``q`` percentile (0 < q <= 100) of an ascending list; 0.0 when empty."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class LoadSummary:
    """What a run did: requests sent, 2xx answers, failures by status (or error name), latency in ms."""

    sent: int = 0
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    retried: int = 0  # sent again after the server closed a kept-alive connection without answering
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0

    def lines(self) -> list[str]:
        """The summary as short human lines."""
        errors = ", ".join(f"{k}: {v}" for k, v in sorted(self.errors.items())) or "none"
        out = [f"sent {self.sent}, ok {self.ok}, errors {sum(self.errors.values())} ({errors})",
               f"latency p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms, p99 {self.p99_ms:.1f} ms"]
        if self.skipped:
            out.append(f"skipped {self.skipped} (all {MAX_WORKERS} workers busy)")
        if self.retried:
            out.append(f"retried {self.retried} (the server closed a kept-alive connection before answering)")
        return out


def pick_request(rand: random.Random) -> tuple[str, str, dict | None]:
    """One request of the mix: 60% product list, 30% product detail, 10% checkout."""
    roll = rand.random()
    if roll < 0.6:
        return "GET", "/api/products", None
    product_id = rand.choice(list(PRODUCTS))
    if roll < 0.9:
        return "GET", f"/api/products/{product_id}", None
    return "POST", "/api/checkout", {"product_id": product_id, "quantity": rand.randint(1, 3)}


class _Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: Counter[str] = Counter()
        self.retried = 0

    def record(self, outcome: str, seconds: float) -> None:
        with self.lock:
            self.statuses[outcome] += 1
            self.latencies.append(seconds * 1000)


def _send(http: httpx.Client, tally: _Tally, method: str, path: str, body: dict | None) -> None:
    headers = {"Idempotency-Key": uuid.uuid4().hex} if method == "POST" else None
    start = time.perf_counter()
    for attempt in (1, 2):
        try:
            outcome = str(http.request(method, path, json=body, headers=headers).status_code)
        except (httpx.ReadError, httpx.RemoteProtocolError) as e:
            # A kept-alive connection the server closed as the request went out (nginx's old workers do on a
            # reload): browsers send such a request again on a new connection, and every request here may be
            # sent twice (GETs, and POSTs with an Idempotency-Key). Once, and counted.
            outcome = type(e).__name__
            if attempt == 1:
                with tally.lock:
                    tally.retried += 1
                continue
        except httpx.HTTPError as e:
            outcome = type(e).__name__
        break
    tally.record(outcome, time.perf_counter() - start)


def run_load(url: str, profile: str, rps: float, duration: float, *, progress: bool = False,
             seed: int | None = None) -> LoadSummary:
    """Send the profile's schedule of requests to ``url`` for ``duration`` seconds and summarise."""
    validate(profile, rps, duration)
    rand = random.Random(seed)
    tally = _Tally()
    slots = threading.BoundedSemaphore(MAX_WORKERS)
    summary = LoadSummary()
    bar = _progress(progress)
    task = bar.add_task(f"{profile} load", total=duration) if bar else None
    with httpx.Client(base_url=url, timeout=10.0, limits=httpx.Limits(max_connections=MAX_WORKERS)) as http, \
            ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="load") as pool:
        if bar:
            bar.start()
        start = time.monotonic()
        due = 0.0
        elapsed = last = 0.0
        while True:
            # Credit by real elapsed time, so a late tick sends what it owes rather than dropping it,
            # even the tick that comes after the end of the run.
            upto = min(elapsed, duration)
            due += rate_at(profile, last, rps, duration) * (upto - last)
            last = upto
            while due >= 1:
                due -= 1
                # Never queue without bound: when every worker is busy the request is skipped and counted.
                if not slots.acquire(blocking=False):
                    summary.skipped += 1
                    continue
                summary.sent += 1
                future = pool.submit(_send, http, tally, *pick_request(rand))
                future.add_done_callback(lambda _f: slots.release())
            if bar:
                bar.update(task, completed=upto, description=f"{profile} load: {summary.sent} sent")
            if upto >= duration:
                break
            time.sleep(max(0.0, start + (math.floor(elapsed / TICK_SECONDS) + 1) * TICK_SECONDS - time.monotonic()))
            elapsed = time.monotonic() - start
        if bar:
            bar.update(task, completed=duration)
    if bar:
        bar.stop()
    latencies = sorted(tally.latencies)
    summary.retried = tally.retried
    summary.ok = sum(n for status, n in tally.statuses.items() if status.startswith("2"))
    summary.errors = {status: n for status, n in tally.statuses.items() if not status.startswith("2")}
    summary.p50_ms, summary.p95_ms, summary.p99_ms = (percentile(latencies, q) for q in (50, 95, 99))
    return summary


def _progress(enabled: bool):
    if not enabled:
        return None
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn(), transient=False)
