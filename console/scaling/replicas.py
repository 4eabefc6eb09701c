"""The replica count one metric asks for, computed the way the Kubernetes horizontal controller does.

``per_replica`` is the controller's calculation for per-pod values (Pods and Resource metrics):
replicas that are not ready and ready ones without a sample are left out first, then put back
pessimistically (a missing replica counts at the target on a scale-down and at zero on a
scale-up; a not-ready one at zero on a scale-up only), and the change is dropped when putting
them back would flip the direction. ``total_value`` and ``total_average`` are the External
metric cases (a ``Value`` or an ``AverageValue`` target on one number). All are pure.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_TOLERANCE = 0.1


class NoMetrics(ValueError):
    """The metric has no usable value (no sample from any ready replica, or no answer)."""


@dataclass(frozen=True)
class Tolerance:
    """How far below (``down``) or above (``up``) 1 the usage ratio may be before anything changes."""

    down: float = DEFAULT_TOLERANCE
    up: float = DEFAULT_TOLERANCE

    def holds(self, ratio: float) -> bool:
        """Whether ``ratio`` is close enough to 1 to keep the current count."""
        return 1.0 - self.down <= ratio <= 1.0 + self.up


@dataclass(frozen=True)
class Proposal:
    """What one metric proposes and the numbers behind it."""

    metric: str
    replicas: int
    value: float  # per-replica average (per-replica metrics and AverageValue) or the total (Value)
    target: float
    ratio: float
    within_tolerance: bool
    note: str = ""

    def explain(self) -> str:
        """One line for a decision record."""
        held = " (within tolerance: keep)" if self.within_tolerance else ""
        note = f"; {self.note}" if self.note else ""
        return (f"{self.metric}: {self.value:.4g} against target {self.target:.4g} "
                f"(ratio {self.ratio:.3f}) -> {self.replicas}{held}{note}")


def per_replica(metric: str, *, current: int, ready: int, samples: Sequence[float], target: float,
                tolerance: Tolerance = Tolerance(), missing_at: float | None = None) -> Proposal:
    """Replicas for per-replica ``samples`` (one per ready replica that reported) against a per-replica target.

    ``missing_at`` is what a silent replica is taken to use on a scale-down: the target by default,
    the whole request for CPU utilization (as the controller does for resource metrics).
    """
    if not samples:
        raise NoMetrics(f"{metric}: no sample from any ready replica")
    unready = max(0, current - ready)
    missing = max(0, ready - len(samples))
    counted = ready - missing
    usage = sum(samples) / len(samples)
    ratio = usage / target
    rebalance_unready = unready > 0 and ratio > 1.0
    if not rebalance_unready and missing == 0:
        if tolerance.holds(ratio):
            return Proposal(metric, current, usage, target, ratio, True)
        return Proposal(metric, _ceil(ratio * counted), usage, target, ratio, False)

    values = list(samples)
    notes = []
    # at a ratio of exactly 1 a silent replica is left out: either guess would move the count
    if missing and ratio != 1.0:
        fill = (target if missing_at is None else missing_at) if ratio < 1.0 else 0.0
        values += [fill] * missing
        notes.append(f"{missing} ready replica(s) without a sample counted at {fill:.4g}")
    if rebalance_unready:
        values += [0.0] * unready
        notes.append(f"{unready} replica(s) not ready counted at 0")
    new_ratio = sum(values) / len(values) / target
    note = "; ".join(notes)
    # putting the left-out replicas back must not flip the direction, nor land within tolerance
    if tolerance.holds(new_ratio) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return Proposal(metric, current, usage, target, new_ratio, True, note + "; no change after counting them")
    replicas = _ceil(new_ratio * len(values))
    if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
        return Proposal(metric, current, usage, target, new_ratio, False, note + "; would scale the other way: keep")
    return Proposal(metric, replicas, usage, target, new_ratio, False, note)


def total_value(metric: str, *, current: int, ready: int, value: float, target: float,
                tolerance: Tolerance = Tolerance()) -> Proposal:
    """Replicas for one number against a ``Value`` target: the ratio scales the ready replicas."""
    ratio = value / target
    if current == 0:
        return Proposal(metric, _ceil(ratio), value, target, ratio, False, "from zero replicas")
    if tolerance.holds(ratio):
        return Proposal(metric, current, value, target, ratio, True)
    return Proposal(metric, _ceil(ratio * ready), value, target, ratio, False)


def total_average(metric: str, *, current: int, value: float, target: float,
                  tolerance: Tolerance = Tolerance()) -> Proposal:
    """Replicas for one total against an ``AverageValue`` target: total / target, unless within tolerance."""
    ratio = value / (target * current) if current else math.inf
    average = value / current if current else value
    if tolerance.holds(ratio):
        return Proposal(metric, current, average, target, ratio, True)
    return Proposal(metric, _ceil(value / target), average, target, ratio, False)


def _ceil(x: float) -> int:
    # the controller's replica counts are int32: an absurd ratio saturates rather than overflows
    return min(math.ceil(x), 2**31 - 1)
