"""The backtest agrees with Prometheus itself: a rule that ran live for ten minutes against a fault schedule
(see ``tests/livewindow.py``), backtested over that window, fires the same alerts over the same intervals as
Prometheus' own ``ALERTS{alertstate="firing"}`` series says it did, within one evaluation interval at each edge."""
from __future__ import annotations

import time

import pytest

from console.backends.prometheus import Prometheus
from console.rules.backtest import backtest
from livewindow import INCIDENTS, INTERVAL, MINUTES, RULE, RUNNING

# run alone, the test waits out the live minutes: longer than the suite's per-test timeout
pytestmark = [pytest.mark.live_window, pytest.mark.timeout(MINUTES * 60 + 300)]

FIRING = f'timestamp(ALERTS{{alertname="{RULE.alert}", alertstate="firing"}})'


def live_intervals(prometheus: Prometheus, start: float, end: float) -> list[tuple[float, float]]:
    """(first evaluation firing, first evaluation no longer firing) of each alert, from Prometheus' ALERTS."""
    # timestamp() gives the evaluation that wrote each sample, not the query's step
    evaluations = sorted({round(v, 3) for s in prometheus.query_range(FIRING, start, end, 0.5) for _, v in s.points})
    intervals: list[list[float]] = []
    for at in evaluations:
        if intervals and at - intervals[-1][1] <= INTERVAL * 1.5:
            intervals[-1][1] = at
        else:
            intervals.append([at, at])
    return [(first, last + INTERVAL) for first, last in intervals]


def test_the_backtest_fires_when_prometheus_fired_over_ten_live_minutes():
    [live] = RUNNING
    end = live.began + MINUTES * 60 + 10
    # in the whole suite these minutes have passed already; run alone, the test waits for them
    time.sleep(max(0.0, end - time.time()))
    prometheus = Prometheus(live.prometheus.url, timeout=30)
    try:
        fired = live_intervals(prometheus, live.began, end)
        # the backtest's grid on Prometheus' own evaluation times, as the rule's evaluations were
        phase = fired[0][0] if fired else live.began
        start = phase - INTERVAL * int((phase - live.began) // INTERVAL)
        result = backtest(RULE, prometheus, start=start, end=end, step=INTERVAL, chart=False)
    finally:
        prometheus.close()
    backtested = [(a.fired_at, a.resolved_at) for a in result.fired]
    print(f"\nlive window: Prometheus fired {[(round(a - live.began), round(b - live.began)) for a, b in fired]},"
          f" the backtest {[(round(a - live.began), round(b - live.began)) for a, b in backtested]}"
          f" (seconds after the start; incidents at {INCIDENTS})")
    # every incident but the one shorter than the rule's `for` fired, once
    assert len(fired) == len(INCIDENTS) - 1, fired
    assert len(backtested) == len(fired), (backtested, fired)
    for (live_from, live_to), (back_from, back_to) in zip(fired, backtested):
        assert abs(back_from - live_from) <= INTERVAL, (back_from - live.began, live_from - live.began)
        assert back_to is not None and abs(back_to - live_to) <= INTERVAL, (back_to, live_to)
