"""How fast the scaling loop answers a load step, against its floor; and the engine's decisions per second.

1. A private stack (2 s scrapes) with the shop, the real loop (APScheduler, every ``PERIOD`` s) on
   the gateway with the local executor: light load, then a step to ``STEP_RPS``. The time from the
   step to the applied scale decision is compared with its floor, one scrape interval plus one loop
   period (the policy reads ``irate`` of the last two scrapes, so no rate window adds to it).
   ``ROUNDS`` rounds, the gateway put back to one replica between them.
2. ``decide`` on a recorded history (an hour of 15 s recommendations and scale events), timed.
Goal: the step answered at most 1 s over its floor.
"""
from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bench.common import private_stack
from console import create_app, store
from console.backends import close_backends
from console.scaling import EXTENSION
from console.scaling.engine import History, Recommendation, ScaleEvent, decide
from console.scaling.executors.local import LocalExecutor
from console.scaling.loop import Loop
from console.scaling.models import ScaleRecord
from console.scaling.policy import Policy, load_policies
from deploy.local.layout import HOST, service_port
from sample_services.loadgen import run_load
from sample_services.runtime import services_down, services_up

SCRAPE = 2.0
PERIOD = 2.0
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
STEP_RPS = 40.0
DECISIONS = int(os.environ.get("BENCH_DECISIONS", "20000"))
POLICY = """
apiVersion: opsconsole/v1
kind: ScalingPolicy
metadata: {name: gateway}
spec:
  scaleTargetRef: {kind: Service, name: gateway}
  minReplicas: 1
  maxReplicas: 3
  metrics:
    - type: Pods
      pods:
        metric: {name: requests_now}
        query: sum by (replica) (irate(http_requests_total{service="gateway"}[10s]))
        target: {type: AverageValue, averageValue: "10"}
  behavior:
    scaleUp: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 2, periodSeconds: 15}]}
    scaleDown: {stabilizationWindowSeconds: 600}
"""


def step_response(layout, ports, work: Path) -> list[float]:
    """Seconds from each load step to the loop's applied scale-out."""
    (work / "policies").mkdir()
    (work / "policies" / "gateway.yml").write_text(POLICY)
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{work / 'console.db'}",
                      "PROMETHEUS_URL": f"http://{HOST}:{ports.prometheus}",
                      "ALERTMANAGER_URL": f"http://{HOST}:{ports.alertmanager}",
                      "SCALING_POLICIES_DIR": str(work / "policies")})
    executor = LocalExecutor(layout)
    app.extensions[EXTENSION] = executor
    url = f"http://{HOST}:{service_port(ports, 'gateway')}"
    loop = Loop(app, period=PERIOD, holder="bench")
    delays = []
    try:
        loop.start()
        for _ in range(ROUNDS):
            executor.scale("gateway", 1)
            run_load(url, "steady", 2, 4 * SCRAPE)  # quiet: well under the target, nothing to do
            seen = _applied(app)
            load = threading.Thread(target=run_load, args=(url, "steady", STEP_RPS, 20.0))
            stepped = datetime.now(UTC)
            load.start()
            deadline = time.monotonic() + 60
            while len(_applied(app)) == len(seen) and time.monotonic() < deadline:
                time.sleep(0.05)
            new = _applied(app)[len(seen):]
            if not new:
                raise RuntimeError("the loop did not scale within 60 s of the load step")
            delays.append((new[0] - stepped).total_seconds())
            load.join()
    finally:
        loop.stop()
        close_backends(app)
        store.get_engine(app).dispose()
    return delays


def _applied(app) -> list[datetime]:
    with app.app_context():
        db = store.new_session()
        try:
            return list(db.scalars(select(ScaleRecord.at).where(ScaleRecord.result == "applied",
                                                                 ScaleRecord.to_replicas > ScaleRecord.from_replicas)
                                   .order_by(ScaleRecord.id)))
        finally:
            db.close()


def decisions_per_second(policy: Policy) -> float:
    """``decide`` calls per second with an hour of history, alternating load levels."""
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    history = History(
        recommendations=tuple(Recommendation(now - timedelta(seconds=15 * i), 1 + i % 3) for i in range(240)),
        scale_ups=tuple(ScaleEvent(now - timedelta(minutes=7 * i), 1) for i in range(8)),
        scale_downs=tuple(ScaleEvent(now - timedelta(minutes=7 * i + 3), 1) for i in range(8)))
    observed = [{"requests_now": [float(v), float(v) * 1.1]} for v in (3, 12, 25, 8)]
    started = time.perf_counter()
    for n in range(DECISIONS):
        decide(policy, now, observed[n % 4], 2, 2, history)
    return DECISIONS / (time.perf_counter() - started)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="opsconsole-bench-scaling-") as tmp, \
            private_stack(scrape_interval=f"{SCRAPE:.0f}s") as (layout, ports):
        work = Path(tmp)
        services_up(layout, ports, {"gateway": 1, "catalog": 1, "orders": 1, "inventory": 1, "payments": 1})
        try:
            delays = step_response(layout, ports, work)
        finally:
            services_down(layout)
        [policy] = load_policies(work / "policies")
    floor = SCRAPE + PERIOD
    print(f"load step -> scale action over {ROUNDS} rounds: " + ", ".join(f"{d:.1f} s" for d in delays))
    print(f"  median {statistics.median(delays):.1f} s, worst {max(delays):.1f} s; floor (scrape {SCRAPE:.0f} s + "
          f"loop period {PERIOD:.0f} s) {floor:.1f} s; excess median {statistics.median(delays) - floor:+.1f} s, "
          f"worst {max(delays) - floor:+.1f} s   (goal <= +1.0 s)")
    print(f"engine decisions      {decisions_per_second(policy):10.0f} /s   (an hour of history per decision)")


if __name__ == "__main__":
    main()
