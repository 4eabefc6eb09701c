"""How fast a scaling policy is backtested over a week at a 15 s step, against its range queries alone.

1. A private stack; ``DAYS`` days of the shop's diurnal history backfilled into its Prometheus, plus
   the fortnight before them that a predictive policy's forecast is fitted on.
2. Two policies on the gateway's requests per second, 10 a replica: reactive, and the same predictive
   (``forecastAndScale``, 10 minutes ahead). ``ROUNDS`` rounds, in turn: the range queries the backtest
   makes, alone; the replay alone on what they returned (decisions per second, and how many of them the
   engine was asked for: the others held, filled in at once); the whole backtest.
Goal: the whole backtest at most 1.2x its queries alone. Also printed: time under-provisioned and
replica-hours of both policies over the week, and the forecast's error.
"""
from __future__ import annotations

import os
import statistics
import time
from datetime import datetime, timedelta, timezone

from bench.common import private_stack
from console.backends.prometheus import Prometheus
from console.scaling import recorded
from console.scaling.backtest import replay
from console.scaling.forecaster import Forecaster
from console.scaling.policy import validate_policy
from deploy.local.layout import HOST
from sample_services.backfill import HEAD_BLOCK, backfill

DAYS = int(os.environ.get("BENCH_DAYS", "7"))
FORECAST_DAYS = 14
STEP = 15.0
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
RPS = 'sum by (replica) (rate(http_requests_total{service="gateway",history="backfill"}[5m]))'


def policy(name: str, predictive: dict | None = None):
    """The gateway on its backfilled requests per second, 10 a replica."""
    spec = {"scaleTargetRef": {"name": "gateway"}, "minReplicas": 1, "maxReplicas": 20,
            "metrics": [{"type": "Pods", "pods": {"metric": {"name": "rps"}, "query": RPS,
                                                  "target": {"type": "AverageValue", "averageValue": 10}}}]}
    if predictive:
        spec["predictive"] = {"metric": "rps", "historyDays": FORECAST_DAYS, **predictive}
    return validate_policy({"metadata": {"name": name}, "spec": spec})


def main() -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    end = (now - HEAD_BLOCK - timedelta(minutes=5)).replace(second=0)
    start = end - timedelta(days=DAYS + FORECAST_DAYS)
    with private_stack() as (layout, ports):
        began = time.monotonic()
        blocks = backfill(layout, ports, start, end, peak_rps=100.0, now=now)
        print(f"backfilled {DAYS + FORECAST_DAYS} days ({blocks} blocks) in {time.monotonic() - began:.0f} s")
        prometheus = Prometheus(f"http://{HOST}:{ports.prometheus}", timeout=120)
        first, last = (end - timedelta(days=DAYS)).timestamp(), end.timestamp() - STEP
        try:
            for p in (policy("reactive"), policy("predictive", {"mode": "forecastAndScale", "leadSeconds": 600})):
                measure(prometheus, p, first, last)
        finally:
            prometheus.close()


def measure(prometheus: Prometheus, p, first: float, last: float) -> None:
    """Time ``p``'s queries alone, its replay alone and its whole backtest, ``ROUNDS`` times in turn."""
    queries, replays, totals = [], [], []
    result = replayed = None
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        loads = recorded.loads(prometheus, p, first, last, STEP)
        firing = recorded.firing_alerts(prometheus, p, first, last, STEP)
        past = recorded.forecast_history(prometheus, p, first, last) if p.spec.predictive else None
        queries.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        replayed = replay(p, loads, first, last, STEP, firing=firing, forecaster=Forecaster(p, past) if past else None)
        replays.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        result = recorded.backtest(prometheus, p, first, last, STEP)
        totals.append(time.perf_counter() - t0)
    query, alone, total = statistics.median(queries), statistics.median(replays), statistics.median(totals)
    ticks = len(result.ticks)
    print(f"{p.name}: {DAYS} days at a {STEP:.0f} s step = {ticks} decisions; {len(result.events)} scale events, "
          f"{result.under_provisioned_seconds / 3600:.1f} h under-provisioned, {result.replica_hours:.0f} replica-hours"
          + (f", forecast WAPE {result.forecast_wape:.1%}" if result.forecast_wape is not None else ""))
    print(f"  range queries alone: median {query:.3f} s of {ROUNDS} rounds ({', '.join(f'{q:.3f}' for q in queries)})")
    print(f"  replay alone:        median {alone:.3f} s, {ticks / alone:,.0f} decisions per second "
          f"({replayed.decided} of them asked of the engine, the others held)")
    print(f"  whole backtest:      median {total:.3f} s ({', '.join(f'{t:.3f}' for t in totals)})")
    print(f"  ratio whole / queries alone: {total / query:.2f} (goal <= 1.2)")


if __name__ == "__main__":
    main()
