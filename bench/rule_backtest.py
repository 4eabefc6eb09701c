"""How fast a rule is backtested over a week of history at a 15 s step, against its range queries alone.

1. A private stack; seven days of the shop's metrics backfilled into its Prometheus (ending
   ``HEAD_BLOCK`` ago, as the backfill requires, with an incident on each day at a known time).
2. One rule per service: its 5xx ratio over 5 m above 5 % for 5 m. ``ROUNDS`` rounds, in turn:
   the chunked ``query_range`` calls the backtest makes, alone; then the whole backtest (the same
   calls, the state machine over every label set, the summary).
Goal: the whole backtest at most 1.2x its queries alone (the state machine costs little). Also:
series handled per second, and samples per second through the state machine on its own.
"""
from __future__ import annotations

import os
import statistics
import time
from datetime import datetime, timedelta, timezone

from bench.common import private_stack
from console.backends.prometheus import Prometheus
from console.rules.backtest import backtest, query_range_chunked, replay
from console.rules.model import Rule
from deploy.local.layout import HOST
from sample_services.backfill import HEAD_BLOCK, backfill, daily_incidents

DAYS = int(os.environ.get("BENCH_DAYS", "7"))
STEP = 15.0
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
RULES = (
    # what an SRE writes: one alert per service whose error ratio stays high; few series match
    Rule(group="bench", alert="ServiceErrorRatio", **{"for": "5m"}, expr=(
        'sum by (service) (rate(http_requests_total{history="backfill",status=~"5.."}[5m]))'
        ' / sum by (service) (rate(http_requests_total{history="backfill"}[5m])) > 0.05')),
    # every request series at once: as many label sets as the history has, all active all week
    Rule(group="bench", alert="AnyTraffic", expr=(
        'sum by (service, route, method, status) (rate(http_requests_total{history="backfill"}[5m])) > 0')),
)


def main() -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    end = now - HEAD_BLOCK - timedelta(minutes=5)
    start = end - timedelta(days=DAYS)
    with private_stack() as (layout, ports):
        began = time.monotonic()
        blocks = backfill(layout, ports, start, end, incidents=daily_incidents(start, end), now=now)
        print(f"backfilled {DAYS} days ({blocks} blocks) in {time.monotonic() - began:.0f} s")
        prometheus = Prometheus(f"http://{HOST}:{ports.prometheus}", timeout=120)
        # the window starts after the first rate window has data
        first, last = start.timestamp() + 600, end.timestamp()
        try:
            for rule in RULES:
                measure(prometheus, rule, first, last)
        finally:
            prometheus.close()


def measure(prometheus: Prometheus, rule: Rule, first: float, last: float) -> None:
    """Time ``rule``'s queries alone, its state machine alone and its whole backtest, ``ROUNDS`` times in turn."""
    queries, totals, machine = [], [], []
    result = None
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        series = query_range_chunked(prometheus, rule.expr, first, last, STEP)
        queries.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        replay(rule, series, first, last, STEP)
        machine.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        result = backtest(rule, prometheus, start=first, end=last, step=STEP, chart=False)
        totals.append(time.perf_counter() - t0)
    points = (last - first) / STEP + 1
    query, total, state = statistics.median(queries), statistics.median(totals), statistics.median(machine)
    print(f"{rule.alert}: {DAYS} days at a {STEP:.0f} s step = {points:.0f} evaluations of {result.series} series; "
          f"{len(result.fired)} alerts would have fired, {result.firing_seconds / 3600:.1f} h firing")
    print(f"  query_range alone (chunked): median {query:.2f} s of {ROUNDS} rounds "
          f"({', '.join(f'{q:.2f}' for q in queries)})")
    print(f"  whole backtest:              median {total:.2f} s ({', '.join(f'{t:.2f}' for t in totals)})")
    print(f"  ratio whole / queries alone: {total / query:.2f} (goal <= 1.2)")
    print(f"  series handled: {result.series / total:.1f} per second end to end; the state machine alone "
          f"{state:.3f} s, {result.series / state:,.0f} series ({result.series * points / state:,.0f} samples) per second")

if __name__ == "__main__":
    main()
