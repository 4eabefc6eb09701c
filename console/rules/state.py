"""Prometheus' alert state machine as a pure function over evaluated samples.

Prometheus evaluates a rule at fixed timestamps; each label set returned starts an alert
*pending*, which turns *firing* once it has been active for ``for``; when the label set is
absent the alert resolves, unless it is firing and ``keep_firing_for`` still holds it. A
label set that returns after resolving starts a new alert. This module replays that
(``rules/alerting.go``, ``AlertingRule.Eval``) over ``query_range`` output, per label set.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

PENDING = "pending"
FIRING = "firing"
INACTIVE = "inactive"
# timestamps from a range query carry millisecond precision; compare them at that grain
EPSILON = 1e-6


@dataclass(frozen=True)
class Alert:
    """One would-be alert: active (pending) from ``active_at``, firing from ``fired_at`` until ``resolved_at``.

    ``fired_at`` is None for an alert that never fired; ``resolved_at`` is None while it was
    still active at the last evaluation.
    """

    labels: dict[str, str]
    active_at: float
    fired_at: float | None
    resolved_at: float | None

    @property
    def fired(self) -> bool:
        """Whether the alert reached the firing state."""
        return self.fired_at is not None

    def firing_seconds(self, end: float) -> float:
        """How long it fired, counting an unresolved alert up to ``end``."""
        if self.fired_at is None:
            return 0.0
        return max(0.0, (self.resolved_at if self.resolved_at is not None else end) - self.fired_at)

    def state_changes(self) -> int:
        """Transitions it went through: to pending, to firing, to inactive."""
        return 1 + (self.fired_at is not None) + (self.resolved_at is not None)


def _key(t: float) -> int:
    return round(t * 1000)


def replay(present: Iterable[float], timestamps: Sequence[float], *, hold: float, keep_firing_for: float,
           labels: Mapping[str, str] | None = None) -> list[Alert]:
    """The alerts of one label set that has a sample at the ``present`` times, evaluated at ``timestamps``."""
    seen = {_key(t) for t in present}
    labels = dict(labels or {})
    alerts: list[Alert] = []
    state, active_at, fired_at, keep_since = INACTIVE, 0.0, None, None
    for ts in timestamps:
        if _key(ts) in seen:
            if state == INACTIVE:
                state, active_at, fired_at = PENDING, ts, None
            keep_since = None
        else:
            if state == INACTIVE:
                continue
            keeping = False
            if state == FIRING and keep_firing_for > 0:
                keep_since = ts if keep_since is None else keep_since
                keeping = ts - keep_since < keep_firing_for - EPSILON
            if not keeping:
                # a pending alert that goes away never fired; Prometheus simply drops it
                alerts.append(Alert(labels, active_at, fired_at, ts))
                state, keep_since = INACTIVE, None
                continue
        if state == PENDING and ts - active_at >= hold - EPSILON:
            state, fired_at = FIRING, ts
    if state != INACTIVE:
        alerts.append(Alert(labels, active_at, fired_at, None))
    return alerts


def replay_series(series: Iterable[tuple[Mapping[str, str], Iterable[float]]], timestamps: Sequence[float], *,
                  hold: float, keep_firing_for: float) -> list[Alert]:
    """The alerts of every label set, each ``(labels, times present)``, ordered by when they became active."""
    alerts = [alert for labels, present in series
              for alert in replay(present, timestamps, hold=hold, keep_firing_for=keep_firing_for, labels=labels)]
    return sorted(alerts, key=lambda a: (a.active_at, sorted(a.labels.items())))


def grid(start: float, end: float, step: float) -> list[float]:
    """The evaluation timestamps of a range query: ``start``, ``start + step``, ... up to ``end``."""
    if step <= 0:
        raise ValueError("step must be positive")
    count = int((end - start) / step + EPSILON) + 1 if end >= start else 0
    return [start + i * step for i in range(count)]
