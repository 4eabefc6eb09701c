"""What full instrumentation costs a gateway request: p50 latency with telemetry on versus off.

The same shop (one replica of each service behind nginx) is started alternately with
``OPSCONSOLE_TELEMETRY=on`` and ``off``, several rounds each, and sequential requests to the
gateway's product page are timed. Goal: p50 on / p50 off at most 1.15.
"""
from __future__ import annotations

import os
import time

import httpx

from bench.common import env, percentile, private_stack
from deploy.local.layout import HOST, service_port
from sample_services.runtime import services_down, services_up

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "500"))
WARMUP = 50
ONE_EACH = {"gateway": 1, "catalog": 1, "orders": 1, "inventory": 1, "payments": 1}


def timed_requests(url: str, count: int) -> list[float]:
    """Latencies in ms of ``count`` sequential GETs of one product through the gateway."""
    latencies = []
    with httpx.Client(base_url=url, timeout=10) as http:
        for n in range(count):
            started = time.perf_counter()
            answer = http.get(f"/api/products/{1 + n % 5}")
            latencies.append((time.perf_counter() - started) * 1000)
            answer.raise_for_status()
    return latencies


def main() -> None:
    samples: dict[str, list[float]] = {"on": [], "off": []}
    with private_stack() as (layout, ports):
        url = f"http://{HOST}:{service_port(ports, 'gateway')}"
        for _ in range(ROUNDS):
            for mode in ("on", "off"):
                with env(OPSCONSOLE_TELEMETRY=mode):
                    services_up(layout, ports, ONE_EACH)
                try:
                    timed_requests(url, WARMUP)
                    samples[mode] += timed_requests(url, REQUESTS)
                finally:
                    services_down(layout)
    on, off = percentile(samples["on"], 50), percentile(samples["off"], 50)
    print(f"{ROUNDS} rounds x {REQUESTS} sequential GET /api/products/<id> through nginx, alternating")
    print(f"p50 telemetry on   {on:7.2f} ms   p95 {percentile(samples['on'], 95):7.2f} ms")
    print(f"p50 telemetry off  {off:7.2f} ms   p95 {percentile(samples['off'], 95):7.2f} ms")
    print(f"ratio on/off       {on / off:7.2f}   (goal <= 1.15)")


if __name__ == "__main__":
    main()
