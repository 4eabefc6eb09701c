"""A target's replicas and load over time, in uPlot's column shape: the target page's chart, computed purely.

The replica line is a step function of the applied decision records (dry runs and failures
change nothing, but are marked all the same); the load is the policy's first metric, summed
over replicas when it has one value per replica, next to the capacity its target allows.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from console.scaling.metrics import MetricSpec

__all__ = ["Record", "backtest_chart", "capacity_per_replica", "chart", "load_points"]


class Record(Protocol):
    """What the chart reads of a decision record (``ScaleRecord``)."""

    at: datetime
    from_replicas: int
    to_replicas: int
    result: str
    dry_run: bool
    actor: str


@dataclass(frozen=True)
class _Step:
    at: float
    replicas: int


def load_points(series: Sequence[Any], metric: MetricSpec) -> list[tuple[float, float]]:
    """``(unix seconds, value)`` of the metric's range query: the series summed per timestamp when per replica."""
    totals: dict[float, float] = {}
    for s in series if metric.per_replica else series[:1]:
        for t, value in s.points:
            if not math.isnan(value):
                totals[t] = totals.get(t, 0.0) + value
    return sorted(totals.items())


def capacity_per_replica(metric: MetricSpec) -> tuple[float, bool]:
    """The load one replica is sized for in the metric's own unit, and whether it scales with the count."""
    target = metric.source.target
    if target.type == "Value":
        return target.value, False
    if target.type == "Utilization":
        # a utilization target is a percentage of the requested cores; the load is in cores
        return metric.source.request * target.average_utilization / 100, True
    return target.average_value, True


def _steps(records: Sequence[Record], initial: int | None) -> list[_Step]:
    applied = [r for r in records if r.result == "applied" and not r.dry_run]
    if initial is None and applied:
        initial = applied[0].from_replicas
    steps = [] if initial is None else [_Step(-math.inf, initial)]
    return steps + [_Step(r.at.timestamp(), r.to_replicas) for r in applied]


def _count_at(steps: list[_Step], t: float) -> int | None:
    count = None
    for step in steps:
        if step.at > t:
            break
        count = step.replicas
    return count


def chart(load: list[tuple[float, float]], records: Sequence[Record], metric: MetricSpec, *,
          start: datetime, end: datetime, initial: int | None) -> dict[str, Any]:
    """Columns over one x axis: load (gaps where unsampled), replicas (the count in effect), capacity, and the marks."""
    steps = _steps(records, initial)
    loads = dict(load)
    xs = sorted({start.timestamp(), end.timestamp(), *loads, *(r.at.timestamp() for r in records)})
    replicas = [_count_at(steps, x) for x in xs]
    per_replica, scales = capacity_per_replica(metric)
    capacity = [None if n is None and scales else per_replica * (n if scales else 1) for n in replicas]
    marks = [{"t": r.at.timestamp(), "label": f"{r.from_replicas}→{r.to_replicas}",
              "kind": "dry_run" if r.dry_run else r.result, "actor": r.actor} for r in records]
    return {"x": xs, "load": [loads.get(x) for x in xs], "replicas": replicas, "capacity": capacity,
            "marks": marks, "range": [start.timestamp(), end.timestamp()],
            "load_label": metric.name + (" (all replicas)" if metric.per_replica else ""),
            "capacity_label": "target × replicas" if scales else "target"}


def backtest_chart(runs: Sequence[Any]) -> dict[str, Any]:
    """Backtests of one window side by side (``console.scaling.backtest.Backtest``): the load and the forecast
    load on the first run's ticks, each run's replicas, and the load per replica the policies are sized for."""
    first = runs[0]
    forecast = next((r for r in runs if any(f is not None for f in r.forecast_load)), None)
    return {"x": first.at, "load": first.load, "forecast_load": forecast.forecast_load if forecast else None,
            "runs": [{"name": r.policy, "replicas": r.replicas} for r in runs],
            "load_label": first.load_metric or "load", "capacity": first.capacity}
