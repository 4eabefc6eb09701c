"""Replay a scaling policy over past load, through the same ``decide`` the loop calls (pure).

At every step the replay hands ``decide`` what the loop would have read: a per-replica metric's
total spread evenly over the replicas the replay has ready (the load balancer spreads it), a
total as it was, the alerts that were firing, the forecast of a predictive policy (refitted
every ``REFIT_SECONDS`` from history before that moment only, as the loop refits it), and the
recommendations and scale events of the replay's own last hour. Replicas it adds become ready
``startup_seconds`` later. It counts the time under-provisioned (the load per ready replica
above what one replica is sized for) and the replica-hours spent.

Most ticks of a week keep the count: where ``console.scaling.holds`` shows the engine certainly
would, a run of them is recorded at once (checked on the whole run with numpy) rather than asked
tick by tick; the engine decides every other tick, so the outcome is the same.
"""
from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import chain

import numpy as np

from console.scaling.engine import HISTORY_SECONDS, History, Recommendation, ScaleEvent, decide, memory_seconds
from console.scaling.forecaster import Forecaster
from console.scaling.holds import Holds
from console.scaling.metrics import MetricSpec
from console.scaling.policy import Policy
from console.scaling.timeline import capacity_per_replica

__all__ = ["Backtest", "Replay", "Tick", "counterpart", "load_metric", "replay"]

HOLD_BLOCK = 512  # ticks checked at once for a run where the engine holds
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
    """A policy replayed: every tick as columns, the scale events, the time under-provisioned and the replica-hours."""

    policy: str
    step: float
    at: list[float]
    replicas: list[int]
    ready: list[int]
    load: list[float | None]
    desired: list[int]
    condition: list[str]
    forecast: list[int | None]
    under_provisioned: list[bool]
    forecast_load: list[float | None]
    events: tuple[tuple[float, int, int], ...]  # (unix seconds, from, to)
    under_provisioned_seconds: float
    replica_hours: float
    load_metric: str | None
    capacity: float | None
    forecast_wape: float | None = None
    decided: int = 0  # the ticks that asked ``decide``; the others held, known without asking

    @property
    def ticks(self) -> tuple[Tick, ...]:
        """The columns as one row a tick."""
        return tuple(map(Tick, self.at, self.replicas, self.ready, self.load, self.desired, self.condition,
                         self.forecast, self.under_provisioned, self.forecast_load))


def load_metric(policy: Policy) -> MetricSpec | None:
    """The metric whose load decides under-provisioning: the forecast one, else the first with a per-replica target."""
    chosen = policy.spec.forecast_metric
    if chosen is not None:
        return chosen
    return next((m for m in policy.spec.metrics if m.source.target.type != "Value"), None)


def replay(policy: Policy, loads: Mapping[str, Points], start: float, end: float, step: float, *,
           initial_replicas: int | None = None, startup_seconds: float = 0.0,
           firing: Callable[[float], set[str]] = lambda _: set(),
           forecaster: Forecaster | None = None, every_tick: bool = False) -> Backtest:
    """Replay ``policy`` every ``step`` seconds over ``[start, end]``; ``loads`` maps each metric's name to its
    points (per-replica metrics as their total over replicas). Runs of ticks where the engine certainly holds
    (``console.scaling.holds``) are filled in without asking it, unless ``every_tick``."""
    run = Replay(policy, start, end, step, initial_replicas=initial_replicas, startup_seconds=startup_seconds,
                 firing=firing, forecaster=forecaster, every_tick=every_tick)
    run.add(loads)
    run.advance(end)
    return run.result()


class Replay:
    """A replay fed its loads as they arrive: ``add`` points, ``advance`` through the ticks they cover, and
    the ``result`` once every tick is replayed. Fed in any pieces, it answers what ``replay`` answers."""

    def __init__(self, policy: Policy, start: float, end: float, step: float, *, initial_replicas: int | None = None,
                 startup_seconds: float = 0.0, firing: Callable[[float], set[str]] = lambda _: set(),
                 forecaster: Forecaster | None = None, every_tick: bool = False):
        spec = policy.spec
        self.policy, self.start, self.step = policy, start, step
        self.startup_seconds, self.firing, self.forecaster = startup_seconds, firing, forecaster
        count = int(math.floor((end - start) / step + 1e-9)) + 1
        self.grid_times = start + step * np.arange(count)
        self.times = self.grid_times.tolist()
        self.grid = {m.name: np.full(count, np.nan) for m in spec.metrics}
        self.judged = load_metric(policy)
        self.capacity = capacity_per_replica(self.judged)[0] if self.judged is not None else None
        self.wanted, self.forecast_load = [None] * count, [None] * count
        if forecaster is not None:
            self.wanted, self.forecast_load = forecaster.over(self.times)
        acts = spec.predictive is not None and spec.predictive.scales
        forecast = np.array([w or 0 for w in self.wanted], dtype=float) if acts else np.zeros(count)
        self.floors = np.minimum(np.maximum(forecast, spec.min_replicas), spec.max_replicas)
        self.holds = Holds(policy)
        self.skips = self.holds.applies and not every_tick
        # what decide never reads is dropped: the loop keeps an hour, the replay only the policy's windows
        self.memory = timedelta(seconds=min(memory_seconds(policy), HISTORY_SECONDS))
        self.replicas = spec.min_replicas if initial_replicas is None else initial_replicas
        self.starting: deque[tuple[float, int]] = deque()  # (ready at, how many) of replicas still starting
        self.recommendations: deque[Recommendation] = deque()
        self.ups: deque[ScaleEvent] = deque()
        self.downs: deque[ScaleEvent] = deque()
        self.next = 0  # the first tick not yet replayed
        self.not_held = -1  # a tick already found to need the engine
        self.replicas_at: list[int] = []
        self.ready: list[int] = []
        self.desired: list[int] = []
        self.condition: list[str] = []
        self.under: list[bool] = []
        self.events: list[tuple[float, int, int]] = []
        self.under_seconds = 0.0
        self.replica_seconds = 0.0
        self.decided = 0

    def add(self, loads: Mapping[str, Points]) -> None:
        """Points of the policy's metrics, by name; Prometheus' millisecond timestamps are placed by their step."""
        for name, points in loads.items():
            if name in self.grid and len(points):
                pairs = np.fromiter(chain.from_iterable(points), dtype=float, count=2 * len(points)).reshape(-1, 2)
                index = np.rint((pairs[:, 0] - self.start) / self.step)
                inside = (index >= 0) & (index < len(self.times))
                self.grid[name][index[inside].astype(int)] = pairs[inside, 1]

    def advance(self, through: float) -> None:
        """Replay the ticks up to ``through`` (unix seconds): their loads are all added."""
        available = min(int(math.floor((through - self.start) / self.step + 1e-9)) + 1, len(self.times))
        while self.next < available:
            k, now = self.next, self.times[self.next]
            while self.starting and self.starting[0][0] <= now:
                self.starting.popleft()
            if self.skips and not self.starting:
                held, recommended = self._held_until(k, available)
                if held > k:
                    self._hold(k, held, recommended)
                    self.next = held
                    continue
            self._decide(k)
            self.next = k + 1

    def result(self) -> Backtest:
        """The replay of every tick added and advanced through."""
        judged = self.judged
        load, wape = [None] * len(self.times), None
        if judged is not None:
            column = self.grid[judged.name]
            load = np.where(np.isnan(column), None, column).tolist()
            if self.forecaster is not None:
                seen = ~np.isnan(column)
                points = zip(self.grid_times[seen].tolist(), column[seen].tolist(), strict=True)
                wape = self.forecaster.wape(list(points))
        return Backtest(self.policy.name, self.step, self.times, self.replicas_at, self.ready, load, self.desired,
                        self.condition, self.wanted, self.under, self.forecast_load,
                        tuple(self.events), self.under_seconds, self.replica_seconds / 3600,
                        judged.name if judged is not None else None, self.capacity, wape, self.decided)

    def _decide(self, k: int) -> None:
        # tick ``k`` through the engine, as the loop would have asked it
        now, replicas = self.times[k], self.replicas
        ready = replicas - sum(n for _, n in self.starting)
        observed = {m.name: _observed(m, self.grid[m.name].item(k), ready) for m in self.policy.spec.metrics}
        at = datetime.fromtimestamp(now, timezone.utc)
        cutoff = at - self.memory
        for kept in (self.recommendations, self.ups, self.downs):
            while kept and kept[0].at < cutoff:  # the legacy window includes its first second
                kept.popleft()
        history = History(tuple(self.recommendations), tuple(self.ups), tuple(self.downs))
        decision = decide(self.policy, at, observed, replicas, ready, history, self.firing(now), self.wanted[k])
        self.decided += 1
        load = self.grid[self.judged.name].item(k) if self.judged is not None else math.nan
        self._record(replicas, ready, decision.desired, decision.condition,
                     [self.capacity is not None and load > self.capacity * ready])  # NaN, no load, is never short
        if decision.recommendation is not None:
            self.recommendations.append(Recommendation(at, decision.recommendation))
        if decision.rescale:
            self.events.append((now, replicas, decision.desired))
            change = decision.desired - replicas
            if change > 0:
                self.ups.append(ScaleEvent(at, change))
                self.starting.append((now + self.startup_seconds, change))
            else:
                self.downs.append(ScaleEvent(at, -change))
                _stop(self.starting, -change)
            self.replicas = decision.desired

    def _held_until(self, k: int, available: int) -> tuple[int, list[int]]:
        # the first tick from ``k`` on, all replicas ready, where the engine might not keep the count, and the
        # recommendations it would remember on the ticks before it
        replicas = self.replicas
        last_kept = None if k == self.not_held else self.holds.last_kept(replicas, self.times[k], self.recommendations)
        if last_kept is None:
            return k, []
        end, recommended = k, []
        while end < available:
            stop = min(end + HOLD_BLOCK, available)
            held, desired = self.holds.holding(replicas, self.grid_times[end:stop],
                                               {name: v[end:stop] for name, v in self.grid.items()},
                                               self.floors[end:stop], last_kept)
            run = len(held) if held.all() else int(np.argmin(held))
            recommended += desired[:run].tolist()
            end += run
            if run < len(held):
                self.not_held = end  # the engine decides it: no need to look at it again
                break
            last_kept = max([last_kept, *self.grid_times[end - run:end][desired == replicas].tolist()])
        return end, recommended

    def _hold(self, first: int, end: int, recommended: list[int]) -> None:
        # ticks ``first`` to ``end`` (excluded) keep the count, every replica ready: record them as decide would,
        # with the recommendations it would remember
        replicas, n = self.replicas, end - first
        short = [False] * n
        if self.capacity is not None and self.judged is not None:
            short = (self.grid[self.judged.name][first:end] > self.capacity * replicas).tolist()
        self._record(replicas, replicas, replicas, "DesiredWithinRange", short, n)
        # only those still within the engine's memory at the next tick are kept
        keep = min(n, int(self.memory.total_seconds() // self.step) + 1)
        for t, count in zip(self.times[end - keep:end], recommended[n - keep:], strict=True):
            self.recommendations.append(Recommendation(datetime.fromtimestamp(t, timezone.utc), count))

    def _record(self, replicas: int, ready: int, desired: int, condition: str, short: list[bool], n: int = 1) -> None:
        self.replicas_at += [replicas] * n
        self.ready += [ready] * n
        self.desired += [desired] * n
        self.condition += [condition] * n
        self.under += short
        self.under_seconds += self.step * sum(short)
        self.replica_seconds += replicas * self.step * n


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


def _observed(metric: MetricSpec, value: float, ready: int) -> float | list[float] | None:
    if math.isnan(value):
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
