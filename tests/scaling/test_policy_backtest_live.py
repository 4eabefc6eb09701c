"""The policy backtest agrees with the loop: a policy the real scaling loop ran live for ten minutes against a
load schedule (see ``tests/livewindow.py``), backtested over that window, finds the replica count the loop found
at every one of its ticks, and makes the same scale decisions at the same ticks."""
from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import yaml
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from console.backends.prometheus import Prometheus
from console.scaling import recorded
from console.scaling.models import RecommendationRecord, ScaleRecord
from console.scaling.policy import validate_policy
from livewindow import INITIAL_REPLICAS, LOAD_STEPS, MINUTES, RUNNING, SCALING_PERIOD, SCALING_POLICY

# run alone, the test waits out the live minutes: longer than the suite's per-test timeout
pytestmark = [pytest.mark.live_window, pytest.mark.timeout(MINUTES * 60 + 300)]


def test_the_backtest_replays_the_live_loop_tick_for_tick():
    [live] = RUNNING
    time.sleep(max(0.0, live.began + MINUTES * 60 + 2 * SCALING_PERIOD - time.time()))
    live.stop_loop()
    engine = create_engine(f"sqlite:///{live.loop_home / 'console.db'}")
    try:
        with Session(engine) as db:
            ticks = [r.at for r in db.scalars(select(RecommendationRecord).order_by(RecommendationRecord.at))]
            scales = [(r.at, r.from_replicas, r.to_replicas)
                      for r in db.scalars(select(ScaleRecord).where(ScaleRecord.result == "applied")
                                          .order_by(ScaleRecord.at))]
    finally:
        engine.dispose()
    assert ticks, f"the loop decided nothing; its log: {(live.home / 'loop.log').read_text()[-2000:]}"
    first, last = ticks[0].timestamp(), ticks[-1].timestamp()
    # the loop ticked on its grid, once a period, none missed
    assert [round((t.timestamp() - first) / SCALING_PERIOD, 6) for t in ticks] == list(range(len(ticks)))
    assert len(ticks) >= MINUTES * 60 / SCALING_PERIOD - 2
    live_counts, count = [], INITIAL_REPLICAS
    changes = iter(scales)
    pending = next(changes, None)
    for t in ticks:
        while pending is not None and pending[0] < t:
            count = pending[2]
            pending = next(changes, None)
        live_counts.append(count)

    policy = validate_policy(yaml.safe_load(SCALING_POLICY))
    prometheus = Prometheus(live.prometheus.url, timeout=30)
    try:
        replayed = recorded.backtest(prometheus, policy, first, last, SCALING_PERIOD, initial_replicas=INITIAL_REPLICAS)
    finally:
        prometheus.close()
    print(f"\nlive loop: {len(ticks)} ticks, scale events {[(round(t.timestamp() - live.began), a, b) for t, a, b in scales]}"
          f" (seconds after the start; load steps {LOAD_STEPS})")
    assert [t.replicas for t in replayed.ticks] == live_counts
    assert [(datetime.fromtimestamp(t, UTC), a, b) for t, a, b in replayed.events] == scales
    assert len(scales) >= len(LOAD_STEPS) - 1  # every step of the load moved the count
