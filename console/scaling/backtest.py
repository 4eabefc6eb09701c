"""Replay a scaling policy over past load, through the same ``decide`` the loop calls (pure).

At every step the replay hands ``decide`` what the loop would have read: a per-replica metric's
total spread evenly over the replicas the replay has ready (the load balancer spreads it), a
total as it was, the alerts that were firing, the forecast of a predictive policy (refitted
every ``REFIT_SECONDS`` from history before that moment only, as the loop refits it), and the
recommendations and scale events of the replay's own last hour. Replicas it adds become ready
``startup_seconds`` later. It counts the time under-provisioned (the load per ready replica
above what one replica is sized for) and the replica-hours spent.
"""
from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import numpy as np

from console.scaling import forecast as forecasting
from console.scaling.engine import HISTORY_SECONDS, History, Recommendation, ScaleEvent, decide, memory_seconds
from console.scaling.metrics import MetricSpec
from console.scaling.policy import Policy
from console.scaling.timeline import capacity_per_replica

__all__ = ["REFIT_SECONDS", "Backtest", "Forecaster", "Tick", "counterpart", "load_metric", "replay"]

REFIT_SECONDS = 3600.0
RESOLUTION = 60.0  # the forecast's grain when it is turned into replicas
Points = Sequence[tuple[float, float]]


@dataclass(frozen=True)
class Tick:
    """One step of the replay: the count it had, how many were ready, the load, what it decided."""

    at: float
    replicas: int
    ready: int
    load: float | None
    desired: int
    condition: str
    forecast: int | None = None
    under_provisioned: bool = False
    forecast_load: float | None = None


@dataclass(frozen=True)
class Backtest:
    """A policy replayed: every tick, the scale events, the time under-provisioned and the replica-hours."""

    policy: str
    step: float
    ticks: tuple[Tick, ...]
    events: tuple[tuple[float, int, int], ...]  # (unix seconds, from, to)
    under_provisioned_seconds: float
    replica_hours: float
    load_metric: str | None
    capacity: float | None
    forecast_wape: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def load_metric(policy: Policy) -> MetricSpec | None:
    """The metric whose load decides under-provisioning: the forecast one, else the first with a per-replica target."""
    chosen = policy.spec.forecast_metric
    if chosen is not None:
        return chosen
    return next((m for m in policy.spec.metrics if m.source.target.type != "Value"), None)


@dataclass
class _Fit:
    """One refit period's model, its forecast load every minute from the boundary to past the lead, and the
    replicas already asked of it by (first, last) minute of a lead window."""

    model: forecasting.Model
    loads: list[float]
    replicas: dict[tuple[int, int], int] = field(default_factory=dict)


class Forecaster:
    """The forecast a predictive policy acts on at any moment, fitted only on what came before: at every
    ``REFIT_SECONDS`` boundary on the ``historyDays`` before it. The loop and the replay both ask it."""

    def __init__(self, policy: Policy, history: Points, *, refit_seconds: float = REFIT_SECONDS):
        predictive = policy.spec.predictive
        if predictive is None:
            raise ValueError(f"policy {policy.name} is not predictive")
        self.lead = float(predictive.lead_seconds)
        self.span = predictive.history_days * forecasting.DAY
        self.capacity, _ = capacity_per_replica(policy.spec.forecast_metric)
        self.refit = refit_seconds
        self._times = np.array([t for t, _ in history], dtype=float)
        self._values = np.array([v for _, v in history], dtype=float)
        # what depends on the time alone, computed once for the whole history rather than at every refit
        self._seasonal = forecasting.seasonal_features(self._times)
        self._fitted: dict[float, _Fit | None] = {}

    def _boundary(self, now: float) -> float:
        return math.floor(now / self.refit) * self.refit

    def _fit(self, boundary: float) -> _Fit | None:
        if boundary not in self._fitted:
            seen = (self._times < boundary) & (self._times >= boundary - self.span)
            try:
                model = forecasting.fit(self._times[seen], self._values[seen], seasonal=self._seasonal[seen])
            except forecasting.ForecastUnavailable:
                self._fitted[boundary] = None
            else:
                # the forecast of this refit period and its lead, every minute, computed once
                grid = boundary + np.arange(0, self.refit + self.lead + RESOLUTION, RESOLUTION)
                self._fitted[boundary] = _Fit(model, model.predict(grid).tolist())
        return self._fitted[boundary]

    def model_at(self, now: float) -> forecasting.Model | None:
        """The model in force at ``now``."""
        fitted = self._fit(self._boundary(now))
        return fitted.model if fitted else None

    def replicas_at(self, now: float) -> int | None:
        """The replicas the forecast asks for at ``now``: its highest load from the minute of ``now`` to
        ``leadSeconds`` later over the load one replica is sized for (None while there is too little history)."""
        boundary = self._boundary(now)
        fitted = self._fit(boundary)
        if fitted is None:
            return None
        window = int((now - boundary) // RESOLUTION), int((now + self.lead - boundary) // RESOLUTION)
        replicas = fitted.replicas.get(window)
        if replicas is None:
            # a replay asks every step, and the steps of one minute share their window
            replicas = math.ceil(max(fitted.loads[window[0]:window[1] + 1]) / self.capacity - 1e-9)
            fitted.replicas[window] = replicas
        return replicas

    def load_at(self, now: float) -> float | None:
        """The forecast load of the minute of ``now`` (None while there is too little history)."""
        boundary = self._boundary(now)
        fitted = self._fit(boundary)
        return None if fitted is None else fitted.loads[int((now - boundary) // RESOLUTION)]

    def wape(self, actual: Points) -> float | None:
        """How far the forecasts in force were from ``actual`` (None without a model or load)."""
        times = np.array([t for t, _ in actual], dtype=float)
        values = np.array([v for _, v in actual], dtype=float)
        seasonal = forecasting.seasonal_features(times)
        boundaries = np.floor(times / self.refit) * self.refit
        loads, forecasts = [], []
        for boundary in dict.fromkeys(boundaries.tolist()):
            fitted = self._fit(boundary)
            if fitted is not None:
                period = boundaries == boundary
                loads.append(values[period])
                forecasts.append(fitted.model.predict(times[period], seasonal=seasonal[period]))
        try:
            return forecasting.wape(np.concatenate(loads), np.concatenate(forecasts)) if loads else None
        except ValueError:
            return None


def replay(policy: Policy, loads: Mapping[str, Points], start: float, end: float, step: float, *,
           initial_replicas: int | None = None, startup_seconds: float = 0.0,
           firing: Callable[[float], set[str]] = lambda _: set(),
           forecaster: Forecaster | None = None) -> Backtest:
    """Replay ``policy`` every ``step`` seconds over ``[start, end]``; ``loads`` maps each metric's name to its
    points (per-replica metrics as their total over replicas)."""
    # Prometheus answers timestamps in milliseconds: place each point by its step, not by equality
    by_step = {name: {round((t - start) / step): v for t, v in points} for name, points in loads.items()}
    replicas = policy.spec.min_replicas if initial_replicas is None else initial_replicas
    starting: deque[tuple[float, int]] = deque()  # (ready at, how many) of replicas still starting
    recommendations: deque[Recommendation] = deque()
    ups: deque[ScaleEvent] = deque()
    downs: deque[ScaleEvent] = deque()
    judged = load_metric(policy)
    capacity = capacity_per_replica(judged)[0] if judged is not None else None
    # what decide never reads is dropped: the loop keeps an hour, the replay only the policy's windows
    memory = timedelta(seconds=min(memory_seconds(policy), HISTORY_SECONDS))
    ticks, events = [], []
    under = 0.0
    replica_seconds = 0.0
    for k in range(int(math.floor((end - start) / step + 1e-9)) + 1):
        now = start + k * step
        while starting and starting[0][0] <= now:
            starting.popleft()
        ready = replicas - sum(n for _, n in starting)
        observed = {m.name: _observed(m, by_step.get(m.name, {}).get(k), ready)
                    for m in policy.spec.metrics}
        at = datetime.fromtimestamp(now, timezone.utc)
        cutoff = at - memory
        for kept in (recommendations, ups, downs):
            while kept and kept[0].at < cutoff:  # the legacy window includes its first second
                kept.popleft()
        wanted = forecaster.replicas_at(now) if forecaster is not None else None
        decision = decide(policy, at, observed, replicas, ready, History(tuple(recommendations), tuple(ups),
                                                                            tuple(downs)), firing(now), wanted)
        load = by_step.get(judged.name, {}).get(k) if judged is not None else None
        short = load is not None and capacity is not None and load > capacity * ready
        ticks.append(Tick(now, replicas, ready, load, decision.desired, decision.condition, wanted, short,
                          forecaster.load_at(now) if forecaster is not None else None))
        under += step if short else 0.0
        replica_seconds += replicas * step
        if decision.recommendation is not None:
            recommendations.append(Recommendation(at, decision.recommendation))
        if decision.rescale:
            events.append((now, replicas, decision.desired))
            change = decision.desired - replicas
            if change > 0:
                ups.append(ScaleEvent(at, change))
                starting.append((now + startup_seconds, change))
            else:
                downs.append(ScaleEvent(at, -change))
                _stop(starting, -change)
            replicas = decision.desired
    judged_points = loads.get(judged.name, ()) if judged is not None else ()
    return Backtest(policy.name, step, tuple(ticks), tuple(events), under, replica_seconds / 3600,
                    judged.name if judged is not None else None, capacity,
                    forecaster.wape([p for p in judged_points if start <= p[0] <= end]) if forecaster else None)


def counterpart(policy: Policy, *, lead_seconds: int = 600) -> Policy | None:
    """The policy to compare ``policy`` with: without its forecast when it is predictive, else the same scaling
    ahead of a forecast of its load (``forecastAndScale``); None when it has no per-replica load to forecast."""
    document = policy.model_dump(mode="json", by_alias=True, exclude_none=True)
    spec = document["spec"]
    if policy.spec.predictive is not None:
        spec.pop("predictive")
        document["metadata"]["name"] = f"{policy.name}-reactive"
    else:
        judged = load_metric(policy)
        if judged is None:
            return None
        spec["predictive"] = {"mode": "forecastAndScale", "metric": judged.name, "leadSeconds": lead_seconds}
        document["metadata"]["name"] = f"{policy.name}-predictive"
    return Policy.model_validate(document)


def _observed(metric: MetricSpec, value: float | None, ready: int) -> float | list[float] | None:
    if value is None or math.isnan(value):
        return None
    if metric.per_replica:
        return [value / ready] * ready if ready else []
    return value


def _stop(starting: deque[tuple[float, int]], count: int) -> None:
    # a scale-down stops replicas still starting first, the newest first, as they serve nothing yet
    while count and starting:
        ready_at, n = starting.pop()
        if n > count:
            starting.append((ready_at, n - count))
            return
        count -= n
