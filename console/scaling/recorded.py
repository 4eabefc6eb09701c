"""What Prometheus recorded of a policy's metrics: the history a backtest replays and a forecast is fitted on.

A per-replica metric is read as its total (``sum`` of its per-replica query), since the replay
spreads it over the replicas it has; a total is read as it is. Windows longer than Prometheus
answers in one range query are read in chunks (a backtest replays one while the next is read). The
forecast's history is read at a coarser ``FORECAST_STEP``: the daily and weekly shapes need no finer
grain.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

from console.backends.prometheus import Prometheus, Series
from console.rules.backtest import check_window, query_range_chunked, range_chunks
from console.scaling import backtest as replaying
from console.scaling.forecast import DAY
from console.scaling.forecaster import Forecaster
from console.scaling.metrics import MetricSpec
from console.scaling.policy import Policy

__all__ = ["FORECAST_STEP", "ReadOnce", "backtest", "compare", "firing_alerts", "forecast_history", "load_query",
           "loads"]

FORECAST_STEP = 300.0


def load_query(metric: MetricSpec, target: str) -> str:
    """The PromQL of ``metric``'s load for ``target``: the total over replicas for a per-replica metric."""
    query = metric.promql(target)
    return f"sum({query})" if metric.per_replica else query


def _points(prometheus: Prometheus, query: str, start: float, end: float, step: float) -> list[tuple[float, float]]:
    series = query_range_chunked(prometheus, query, start, end, step)
    return [(t, v) for t, v in (series[0].points if series else []) if not math.isnan(v)]


def loads(prometheus: Prometheus, policy: Policy, start: float, end: float, step: float) -> dict[str, list]:
    """Each metric's load over ``start..end`` every ``step`` seconds, by metric name."""
    return {m.name: _points(prometheus, load_query(m, policy.target), start, end, step) for m in policy.spec.metrics}


def forecast_history(prometheus: Prometheus, policy: Policy, start: float, end: float) -> list[tuple[float, float]]:
    """The forecast metric's load from ``historyDays`` before ``start`` up to ``end``, every ``FORECAST_STEP``."""
    metric = policy.spec.forecast_metric
    first = math.floor((start - policy.spec.predictive.history_days * DAY) / FORECAST_STEP) * FORECAST_STEP
    return _points(prometheus, load_query(metric, policy.target), first, end, FORECAST_STEP)


def firing_alerts(prometheus: Prometheus, policy: Policy, start: float, end: float,
                  step: float) -> Callable[[float], set[str]]:
    """Which of the policy's ``onAlert`` alerts fired at each step, from Prometheus' ``ALERTS`` series."""
    names = sorted({s.alert for s in policy.spec.on_alert})
    if not names:
        return lambda _: set()
    query = 'ALERTS{alertstate="firing",alertname=~"%s"}' % "|".join(names)  # names match [a-zA-Z_][a-zA-Z0-9_]*
    firing: dict[int, set[str]] = {}
    for series in query_range_chunked(prometheus, query, start, end, step):
        for t, _ in series.points:
            firing.setdefault(round((t - start) / step), set()).add(series.labels.get("alertname", ""))
    return lambda now: firing.get(round((now - start) / step), set())


def backtest(prometheus: Prometheus, policy: Policy, start: float, end: float, step: float, *,
             initial_replicas: int | None = None, startup_seconds: float = 0.0) -> replaying.Backtest:
    """Replay ``policy`` over ``start..end`` against what Prometheus recorded; ``ValueError`` for a bad window.
    The load is read chunk by chunk, each chunk replayed while Prometheus answers the next."""
    check_window(start, end, step)
    forecaster = None
    if policy.spec.predictive is not None:
        forecaster = Forecaster(policy, forecast_history(prometheus, policy, start, end))
    run = replaying.Replay(policy, start, end, step, initial_replicas=initial_replicas,
                           startup_seconds=startup_seconds, firing=firing_alerts(prometheus, policy, start, end, step),
                           forecaster=forecaster)
    for last, chunk in _loads_ahead(prometheus, policy, start, end, step):
        run.add(chunk)
        run.advance(last)
    return run.result()


def _loads_ahead(prometheus: Prometheus, policy: Policy, start: float, end: float,
                 step: float) -> Iterator[tuple[float, dict[str, list]]]:
    # each chunk's loads and its last moment, the next chunk asked for before this one is handed over
    chunks = range_chunks(start, end, step)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="backtest-read") as reader:
        ahead = reader.submit(loads, prometheus, policy, *chunks[0], step)
        for i, (_, last) in enumerate(chunks):
            chunk = ahead.result()
            if i + 1 < len(chunks):
                ahead = reader.submit(loads, prometheus, policy, *chunks[i + 1], step)
            yield last, chunk


class ReadOnce:
    """A view of ``prometheus`` that sends each distinct range query once: policies compared over one window
    (a policy and its predictive counterpart read the same load and the same alerts) share their reads."""

    def __init__(self, prometheus: Prometheus):
        self._prometheus = prometheus
        self._answers: dict[tuple, list[Series]] = {}

    def query_range(self, query: str, start: float, end: float, step: float) -> list[Series]:
        """``Prometheus.query_range``, answered from the first read of the same arguments."""
        key = (query, start, end, step)
        if key not in self._answers:
            self._answers[key] = self._prometheus.query_range(query, start, end, step)
        return self._answers[key]


def compare(prometheus: Prometheus, policies: list[Policy], start: float, end: float, step: float, *,
            initial_replicas: int | None = None, startup_seconds: float = 0.0) -> list[replaying.Backtest]:
    """``backtest`` of each policy over one window, each distinct range query sent to Prometheus once."""
    shared = ReadOnce(prometheus)
    return [backtest(shared, policy, start, end, step, initial_replicas=initial_replicas,
                     startup_seconds=startup_seconds) for policy in policies]
