"""Days of the shop's metrics as they would have been scraped (pure): diurnal load, incidents at known times.

The series are the shop's own (``http_requests_total`` and the ``http_request_duration_seconds``
histogram, one main route per service, labelled like a scraped replica plus ``history="backfill"``),
written as OpenMetrics for ``promtool tsdb create-blocks-from openmetrics``. Everything is derived
from the arguments and a seeded random generator, so the same call writes the same bytes.
"""
from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sample_services.telemetry import BUCKETS

# service -> (route, method, share of the gateway's load, median latency in seconds)
ROUTES = {
    "gateway": ("/api/checkout", "POST", 1.0, 0.060),
    "catalog": ("/products/<int:product_id>", "GET", 0.8, 0.008),
    "orders": ("/orders", "POST", 0.5, 0.030),
    "inventory": ("/reservations", "POST", 0.5, 0.010),
    "payments": ("/payments/authorize", "POST", 0.5, 0.012),
}
BASE_ERROR_RATIO = 0.002
LATENCY_SPREAD = 0.5  # sigma of the log-normal latency
PEAK_HOUR_UTC = 14


@dataclass(frozen=True)
class Incident:
    """A spell of trouble on one service: a share of its requests fail and its latency grows."""

    service: str
    start: datetime
    minutes: int
    error_ratio: float = 0.3
    latency_factor: float = 1.0

    def covers(self, service: str, at: datetime) -> bool:
        """Whether ``service`` is in this incident at ``at``."""
        return service == self.service and self.start <= at < self.start + timedelta(minutes=self.minutes)


def load_at(at: datetime, peak_rps: float) -> float:
    """The gateway's requests per second at ``at``: a daily wave peaking mid-afternoon, quieter at weekends."""
    hours = at.hour + at.minute / 60
    daily = 0.55 + 0.45 * math.cos(2 * math.pi * (hours - PEAK_HOUR_UTC) / 24)
    weekly = 0.7 if at.weekday() >= 5 else 1.0
    return peak_rps * daily * weekly


def latency_cdf(seconds: float, median: float) -> float:
    """The share of requests faster than ``seconds`` for a log-normal latency with ``median``."""
    z = (math.log(seconds) - math.log(median)) / LATENCY_SPREAD
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def openmetrics(start: datetime, end: datetime, *, step_s: int = 60, peak_rps: float = 20.0,
                incidents: tuple[Incident, ...] = (), seed: int = 1) -> Iterator[str]:
    """OpenMetrics lines for ``[start, end)`` every ``step_s`` seconds, ending with ``# EOF``."""
    rng = random.Random(seed)
    times = [start + timedelta(seconds=s) for s in range(0, int((end - start).total_seconds()), step_s)]
    # requests per step per service, ok and failed, and the latency median, drawn once for both families
    steps = []
    for at in times:
        # a sample at ``at`` counts the requests of the step that ends there
        during = at - timedelta(seconds=step_s)
        noise = rng.uniform(0.9, 1.1)
        row = {}
        for service, (_, _, share, median) in ROUTES.items():
            n = load_at(during, peak_rps) * share * noise * step_s
            incident = next((i for i in incidents if i.covers(service, during)), None)
            ratio = incident.error_ratio if incident else BASE_ERROR_RATIO
            row[service] = (n, ratio, median * (incident.latency_factor if incident else 1.0))
        steps.append(row)
    yield "# TYPE http_requests counter"
    yield "# HELP http_requests HTTP requests served."
    for service, (route, method, _, _) in ROUTES.items():
        for status, failed in (("200", False), ("500", True)):
            total = 0.0
            labels = _labels(service, route, method, status=status)
            for at, row in zip(times, steps):
                n, ratio, _ = row[service]
                total += n * (ratio if failed else 1 - ratio)
                yield f"http_requests_total{{{labels}}} {math.floor(total)} {int(at.timestamp())}"
    yield "# TYPE http_request_duration_seconds histogram"
    yield "# HELP http_request_duration_seconds HTTP request latency."
    for service, (route, method, _, _) in ROUTES.items():
        labels = _labels(service, route, method)
        counts = [0.0] * len(BUCKETS)
        count = total = 0.0
        for at, row in zip(times, steps):
            n, _, median = row[service]
            for i, le in enumerate(BUCKETS):
                counts[i] += n * latency_cdf(le, median)
            count += n
            total += n * median * math.exp(LATENCY_SPREAD ** 2 / 2)  # the log-normal's mean
            stamp = int(at.timestamp())
            for le, c in zip(BUCKETS, counts):
                yield f'http_request_duration_seconds_bucket{{{labels},le="{le}"}} {math.floor(c)} {stamp}'
            yield f'http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {math.floor(count)} {stamp}'
            yield f"http_request_duration_seconds_count{{{labels}}} {math.floor(count)} {stamp}"
            yield f"http_request_duration_seconds_sum{{{labels}}} {total:.3f} {stamp}"
    yield "# EOF"


def _labels(service: str, route: str, method: str, **extra: str) -> str:
    pairs = {"job": "shop", "instance": "history", "replica": f"{service}-1", "history": "backfill",
             "service": service, "route": route, "method": method, **extra}
    return ",".join(f'{k}="{v}"' for k, v in pairs.items())
