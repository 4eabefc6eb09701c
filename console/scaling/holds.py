"""Where the engine certainly keeps the count: the ticks a replay may fill in without asking ``decide``.

On a steady target (every replica ready, the count within its bounds and floors) each metric
proposes the count itself when its usage ratio is within tolerance, else ``ceil(ratio x count)``;
the highest proposal is the recommendation. ``decide`` then keeps the count when the
recommendation is the count, or is lower and stabilization holds it up: on the legacy path a
recommendation equal to the count in the last five minutes (and none above it: ``last_kept``
says when there is), with ``behavior`` one at or above it inside the scale-down window. These are
sufficient conditions, checked with a margin: a tick near a tolerance edge, a ratio near a whole
count or a window edge is left to ``decide``. Schedules and alert steps depend on the moment and
are not modelled: their policies replay every tick through ``decide``.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from console.scaling.engine import DOWNSCALE_STABILIZATION_SECONDS, Recommendation, scale_down_rules, tolerance
from console.scaling.policy import Policy

__all__ = ["MARGIN", "WINDOW_MARGIN", "Holds"]

# relative: far above the rounding of the engine's own arithmetic (a sum of equal per-replica shares)
MARGIN = 1e-9
WINDOW_MARGIN = 1e-5  # seconds: the engine compares datetimes to the microsecond


class Holds:
    """A policy's conditions for keeping its count, worked out once for a replay."""

    def __init__(self, policy: Policy):
        spec = policy.spec
        # schedules and alert steps depend on the moment: such a policy is replayed tick by tick
        self.applies = not spec.schedules and not spec.on_alert
        self.max_replicas = spec.max_replicas
        band = tolerance(spec)
        self.low, self.high = 1.0 - band.down, 1.0 + band.up
        self.metrics = [(m.name, *_ratio_per_unit(m)) for m in spec.metrics]
        if spec.behavior is None:
            self.window, self.inclusive = float(DOWNSCALE_STABILIZATION_SECONDS), True
        else:
            self.window = float(scale_down_rules(spec.behavior.scale_down).stabilization_window_seconds)
            self.inclusive = False

    def last_kept(self, current: int, now: float, remembered: Iterable[Recommendation]) -> float | None:
        """The time of the latest ``remembered`` recommendation at or above ``current``, for ``holding`` from
        ``now`` on; None while, on the legacy path, one above ``current`` is still in its window (the highest of
        the window would raise the count)."""
        kept = higher = -math.inf
        for r in remembered:
            if r.replicas >= current:
                kept = r.at.timestamp()
                if r.replicas > current:
                    higher = kept
        if self.inclusive and now <= higher + self.window + WINDOW_MARGIN:
            return None
        return kept

    def holding(self, current: int, times: np.ndarray, values: dict[str, np.ndarray], floors: np.ndarray,
                last_kept: float) -> tuple[np.ndarray, np.ndarray]:
        """Whether ``decide`` keeps ``current`` at each of ``times`` were it kept at every earlier one, and the
        recommendation it remembers there. ``values`` holds each metric's value at those times (NaN where missing,
        a per-replica metric as its total), ``floors`` the floor at each (minReplicas or the forecast's),
        ``last_kept`` the time of the latest recommendation at or above ``current`` before them (``last_kept``'s
        answer). All replicas are ready."""
        known, desired = self._recommended(current, values, floors)
        # the latest recommendation at or above the count before each tick: one before them, or one of theirs
        kept = desired == current
        latest = np.maximum.accumulate(np.concatenate(([last_kept], np.where(kept, times, -np.inf)[:-1])))
        age = times - latest
        remembered = age <= self.window - WINDOW_MARGIN if self.inclusive else age < self.window - WINDOW_MARGIN
        return known & (kept | ((desired < current) & remembered)), desired

    def _recommended(self, current: int, values: dict[str, np.ndarray],
                     floors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # where the recommendation is certain, and what it is
        if current < 1 or current > self.max_replicas:
            return np.zeros(len(floors), dtype=bool), np.full(len(floors), current, dtype=np.int64)
        known = floors <= current
        desired = np.full(len(floors), 0.0 if self.metrics else current)
        for name, unit, per_count in self.metrics:
            value = values.get(name)
            if value is None:
                return np.zeros(len(floors), dtype=bool), np.full(len(floors), current, dtype=np.int64)
            ratio = value * (unit / current if per_count else unit)
            within = (ratio >= self.low + MARGIN) & (ratio <= self.high - MARGIN)
            near = (ratio >= self.low - MARGIN) & (ratio <= self.high + MARGIN)
            # outside the band the proposal is ceil(ratio x count): certain where a margin either way rounds
            # alike (NaN, a missing value, never does), and no higher than the engine's int32 counts
            scaled = ratio * current
            proposal = np.ceil(scaled * (1.0 + MARGIN))
            certain = (proposal == np.ceil(scaled * (1.0 - MARGIN))) & (proposal < 2**31 - 1)
            known &= within | (~near & certain)
            desired = np.maximum(desired, np.where(within, current, proposal))
        return known, np.where(known, desired, current).astype(np.int64)


def _ratio_per_unit(metric) -> tuple[float, bool]:
    # the usage ratio of one unit of the metric's value, and whether it is further divided by the count
    target = metric.source.target
    if metric.per_replica:
        if target.type == "Utilization":
            return 100.0 / (metric.source.request * target.average_utilization), True
        return 1.0 / target.average_value, True
    if target.type == "Value":
        return 1.0 / target.value, False
    return 1.0 / target.average_value, True
