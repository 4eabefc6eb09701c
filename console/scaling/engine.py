"""The pure scaling engine: policy + what was observed + history -> a Decision that says why.

It follows the Kubernetes horizontal controller (``pkg/controller/podautoscaler``): a count
outside the bounds is brought back first; otherwise each metric proposes a count, the highest
wins, and the result is normalized. Without ``behavior`` that is the legacy path (the highest
recommendation of the last five minutes, then at most ``max(2 x current, 4)``); with it, the
stabilization windows (lowest recommendation of the up window, highest of the down window) and
the rate policies over their periods. Schedules raise the floor, and so does the forecast of a
predictive policy in ``forecastAndScale`` mode (it never lowers what the metrics ask); a firing
alert adds its step.
Nothing here reads a clock or does I/O: "now" and the history are arguments.
"""
from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from console.scaling.policy import MetricSpec, Policy, ScalingPolicy, ScalingRules
from console.scaling.replicas import (
    NoMetrics,
    Proposal,
    Tolerance,
    per_replica,
    total_average,
    total_value,
)

DOWNSCALE_STABILIZATION_SECONDS = 300
# the longest stabilization window and rate period a policy may have: older history is never read
HISTORY_SECONDS = 3600
SCALE_UP_LIMIT_FACTOR = 2.0
SCALE_UP_LIMIT_MINIMUM = 4.0
DEFAULT_SCALE_UP = ScalingRules(stabilizationWindowSeconds=0, selectPolicy="Max", policies=[
    ScalingPolicy(type="Pods", value=4, periodSeconds=15), ScalingPolicy(type="Percent", value=100, periodSeconds=15)])
DEFAULT_SCALE_DOWN = ScalingRules(selectPolicy="Max", policies=[ScalingPolicy(type="Percent", value=100, periodSeconds=15)])

Observed = Mapping[str, float | Sequence[float] | None]


class Recommendation(NamedTuple):
    """A past unstabilized recommendation (a tuple: a replay keeps one for each of its ticks)."""

    at: datetime
    replicas: int


@dataclass(frozen=True)
class ScaleEvent:
    """A past change of the replica count, by ``change`` (> 0) in one direction."""

    at: datetime
    change: int


@dataclass(frozen=True)
class History:
    """What the engine remembers of a target: recommendations and scale events up and down."""

    recommendations: tuple[Recommendation, ...] = ()
    scale_ups: tuple[ScaleEvent, ...] = ()
    scale_downs: tuple[ScaleEvent, ...] = ()


@dataclass(frozen=True)
class Decision:
    """The replica count to have, and why: each metric's proposal, what stabilized or limited it."""

    target: str
    at: datetime
    current: int
    desired: int
    recommendation: int | None  # the unstabilized count to remember; None when metrics were not consulted
    condition: str  # DesiredWithinRange, ScaleUpLimit, ScaleDownLimit, TooManyReplicas, TooFewReplicas, ...
    proposals: tuple[Proposal, ...] = ()
    reasons: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    floor: int = 0
    values: dict[str, float] = field(default_factory=dict)
    alerts: tuple[str, ...] = ()  # the firing alerts whose onAlert steps were added
    forecast: int | None = None  # the replicas the forecast asked for, acted on or (forecastOnly) not

    @property
    def rescale(self) -> bool:
        """Whether the decision changes the replica count."""
        return self.desired != self.current


def decide(policy: Policy, now: datetime, observed: Observed, current_replicas: int, ready_replicas: int,
           history: History = History(), firing_alerts: Collection[str] = (), forecast: int | None = None) -> Decision:
    """The decision for ``policy``'s target at ``now``; ``observed`` maps metric names to a number or per-replica
    values, ``forecast`` is the replicas a predictive policy's forecast asks for ahead of the load."""
    spec = policy.spec
    current = current_replicas
    floors = [(s.min_replicas, f"schedule {s.name}") for s in spec.schedules if s.is_active(now)]
    acts_on_forecast = forecast is not None and spec.predictive is not None and spec.predictive.scales
    if acts_on_forecast:
        floors.append((forecast, f"forecast {spec.predictive.lead_seconds} s ahead"))
    floor, floor_why = max([(spec.min_replicas, "minReplicas"), *floors], key=lambda f: f[0])
    floor = min(floor, spec.max_replicas)
    base = {"target": policy.target, "at": now, "current": current, "floor": floor, "forecast": forecast}
    if current == 0 and spec.min_replicas != 0:
        return Decision(**base, desired=0, recommendation=None, condition="ScalingDisabled",
                        reasons=("scaled to zero by hand: autoscaling is off until it is scaled up",))
    if current > spec.max_replicas:
        return Decision(**base, desired=spec.max_replicas, recommendation=None, condition="TooManyReplicas",
                        reasons=(f"{current} replicas is above maxReplicas {spec.max_replicas}",))
    if current < floor:
        return Decision(**base, desired=floor, recommendation=None, condition="TooFewReplicas",
                        reasons=(f"{current} replicas is below the floor {floor} ({floor_why})",))

    proposals, errors = _proposals(spec.metrics, observed, current, ready_replicas, spec)
    reasons = [p.explain() for p in proposals]
    values = {p.metric: p.value for p in proposals}
    if spec.metrics and (len(errors) >= len(spec.metrics) or (errors and max(p.replicas for p in proposals) < current)):
        # as the controller: no scaling on all metrics failing, nor a scale-down on some failing
        return Decision(**base, desired=current, recommendation=None, condition="FailedGetMetrics",
                        proposals=tuple(proposals), reasons=(*reasons, "metrics missing: keep the count"),
                        errors=tuple(errors), values=values)
    desired = max((p.replicas for p in proposals), default=current)
    if not spec.metrics:
        reasons.append(f"no metrics: {current} replicas recommended")
    steps = [(s.alert, s.add_replicas) for s in spec.on_alert if s.alert in firing_alerts]
    if steps:
        desired = max(desired + sum(n for _, n in steps), current)
        reasons.append("alert " + ", ".join(f"{a} fires: +{n}" for a, n in steps) + f" -> {desired}")
    if forecast is not None and not acts_on_forecast:
        reasons.append(f"forecast asks {forecast} (forecastOnly: not acted on)")
    recommendation = desired
    if spec.behavior is None:
        final, condition, why = _legacy(now, current, desired, floor, spec.max_replicas, history)
    else:
        final, condition, why = _with_behavior(now, current, desired, floor, spec.max_replicas, history,
                                               scale_up_rules(spec.behavior.scale_up),
                                               scale_down_rules(spec.behavior.scale_down))
    return Decision(**base, desired=final, recommendation=recommendation, condition=condition,
                    proposals=tuple(proposals), reasons=(*reasons, *why), errors=tuple(errors), values=values,
                    alerts=tuple(a for a, _ in steps))


def memory_seconds(policy: Policy) -> int:
    """How far back ``decide`` looks into the history for ``policy``: its longest stabilization window or rate
    period (the legacy path's five-minute window without ``behavior``)."""
    behavior = policy.spec.behavior
    if behavior is None:
        return DOWNSCALE_STABILIZATION_SECONDS
    rules = (scale_up_rules(behavior.scale_up), scale_down_rules(behavior.scale_down))
    return max(max(r.stabilization_window_seconds, *(p.period_seconds for p in r.policies)) for r in rules)


def scale_up_rules(rules: ScalingRules | None) -> ScalingRules:
    """The scale-up rules with the Kubernetes defaults filled in (4 pods or 100 % per 15 s, no window)."""
    if rules is None:
        return DEFAULT_SCALE_UP
    return rules.model_copy(update={
        "stabilization_window_seconds": 0 if rules.stabilization_window_seconds is None
        else rules.stabilization_window_seconds,
        "policies": rules.policies or DEFAULT_SCALE_UP.policies})


def scale_down_rules(rules: ScalingRules | None) -> ScalingRules:
    """The scale-down rules with the defaults filled in (100 % per 15 s, a 300 s window)."""
    rules = rules or DEFAULT_SCALE_DOWN
    return rules.model_copy(update={
        "stabilization_window_seconds": DOWNSCALE_STABILIZATION_SECONDS if rules.stabilization_window_seconds is None
        else rules.stabilization_window_seconds,
        "policies": rules.policies or DEFAULT_SCALE_DOWN.policies})


def tolerance(spec) -> Tolerance:
    """How far a policy's usage ratios may stray from 1 before its count changes (Kubernetes' 10 % unless set)."""
    behavior = spec.behavior
    up = behavior.scale_up.tolerance if behavior and behavior.scale_up else None
    down = behavior.scale_down.tolerance if behavior and behavior.scale_down else None
    default = Tolerance()
    return Tolerance(down=default.down if down is None else down, up=default.up if up is None else up)


def proposals(policy: Policy, observed: Observed, current: int, ready: int) -> tuple[list[Proposal], list[str]]:
    """Each metric's proposal (its value against its target, as the engine sees it) and why the others have none."""
    return _proposals(policy.spec.metrics, observed, current, ready, policy.spec)


def _proposals(metrics: list[MetricSpec], observed: Observed, current: int, ready: int, spec) -> tuple[list, list]:
    proposals: list[Proposal] = []
    errors: list[str] = []
    band = tolerance(spec)
    for metric in metrics:
        value = observed.get(metric.name)
        try:
            proposals.append(_proposal(metric, value, current, ready, band))
        except NoMetrics as e:
            errors.append(str(e))
    return proposals, errors


def _proposal(metric: MetricSpec, value, current: int, ready: int, tolerance: Tolerance) -> Proposal:
    target = metric.source.target
    if value is None:
        raise NoMetrics(f"{metric.name}: no value")
    if metric.per_replica:
        if isinstance(value, int | float):
            raise NoMetrics(f"{metric.name}: expected one value per replica")
        if target.type == "Utilization":
            # in percent of the request, as the controller compares utilizations
            request = metric.source.request
            return per_replica(metric.name, current=current, ready=ready, samples=[v * 100 / request for v in value],
                               target=target.average_utilization, tolerance=tolerance, missing_at=100.0)
        return per_replica(metric.name, current=current, ready=ready, samples=value, target=target.average_value,
                           tolerance=tolerance)
    if not isinstance(value, int | float):
        raise NoMetrics(f"{metric.name}: expected one number")
    if target.type == "Value":
        return total_value(metric.name, current=current, ready=ready, value=value, target=target.value,
                           tolerance=tolerance)
    return total_average(metric.name, current=current, value=value, target=target.average_value, tolerance=tolerance)


def _legacy(now: datetime, current: int, desired: int, floor: int, ceiling: int, history: History):
    cutoff = now - timedelta(seconds=DOWNSCALE_STABILIZATION_SECONDS)
    stabilized = max([desired, *(r.replicas for r in history.recommendations if r.at >= cutoff)])
    why = []
    if stabilized != desired:
        why.append(f"stabilized: the highest recommendation of the last {DOWNSCALE_STABILIZATION_SECONDS} s "
                   f"is {stabilized}")
    scale_up_limit = int(max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM))
    if ceiling > scale_up_limit:
        maximum, condition = scale_up_limit, "ScaleUpLimit"
    else:
        maximum, condition = ceiling, "TooManyReplicas"
    if stabilized < floor:
        return floor, "TooFewReplicas", [*why, f"raised to the floor {floor}"]
    if stabilized > maximum:
        return maximum, condition, [*why, f"limited to {maximum} ({condition})"]
    return stabilized, "DesiredWithinRange", why


def _with_behavior(now: datetime, current: int, desired: int, floor: int, ceiling: int, history: History,
                   up: ScalingRules, down: ScalingRules):
    up_cutoff = now - timedelta(seconds=up.stabilization_window_seconds)
    down_cutoff = now - timedelta(seconds=down.stabilization_window_seconds)
    up_recommendation = min([desired, *(r.replicas for r in history.recommendations if r.at > up_cutoff)])
    down_recommendation = max([desired, *(r.replicas for r in history.recommendations if r.at > down_cutoff)])
    stabilized = min(max(current, up_recommendation), down_recommendation)
    why = []
    if stabilized != desired:
        window, kind = ((up.stabilization_window_seconds, "lowest") if desired >= current
                        else (down.stabilization_window_seconds, "highest"))
        why.append(f"stabilized to {stabilized}: the {kind} recommendation of the last {window} s")
    if stabilized > current:
        limit = max(_scale_up_limit(now, current, history, up), current)
        maximum, condition = (limit, "ScaleUpLimit") if ceiling > limit else (ceiling, "TooManyReplicas")
        if stabilized > maximum:
            return maximum, condition, [*why, f"limited to {maximum} ({condition}: {_describe(up)})"]
    elif stabilized < current:
        limit = min(_scale_down_limit(now, current, history, down), current)
        minimum, condition = (limit, "ScaleDownLimit") if floor < limit else (floor, "TooFewReplicas")
        if stabilized < minimum:
            return minimum, condition, [*why, f"limited to {minimum} ({condition}: {_describe(down)})"]
    return stabilized, "DesiredWithinRange", why


def _changed_within(now: datetime, seconds: int, events: tuple[ScaleEvent, ...]) -> int:
    cutoff = now - timedelta(seconds=seconds)
    return sum(e.change for e in events if e.at > cutoff)


def _period_start(now: datetime, current: int, history: History, period: int) -> int:
    return (current - _changed_within(now, period, history.scale_ups)
            + _changed_within(now, period, history.scale_downs))


def _scale_up_limit(now: datetime, current: int, history: History, rules: ScalingRules) -> int:
    if rules.select_policy == "Disabled":
        return current
    proposals = []
    for p in rules.policies:
        start = _period_start(now, current, history, p.period_seconds)
        # rounded up, or a small percentage of a small count would never add a replica; the float
        # arithmetic is the controller's, so the edge cases (10 x 1.1 = 11.000000000000002) round alike
        proposals.append(start + p.value if p.type == "Pods" else math.ceil(start * (1 + p.value / 100)))
    return min(proposals) if rules.select_policy == "Min" else max(proposals)


def _scale_down_limit(now: datetime, current: int, history: History, rules: ScalingRules) -> int:
    if rules.select_policy == "Disabled":
        return current
    proposals = []
    for p in rules.policies:
        start = _period_start(now, current, history, p.period_seconds)
        # truncated toward zero, as the controller's int32 conversion does
        proposals.append(start - p.value if p.type == "Pods" else int(start * (1 - p.value / 100)))
    return max(proposals) if rules.select_policy == "Min" else min(proposals)


def _describe(rules: ScalingRules) -> str:
    if rules.select_policy == "Disabled":
        return "this direction is disabled"
    policies = ", ".join(f"{p.type} {p.value} per {p.period_seconds} s" for p in rules.policies)
    return f"{policies}; select {rules.select_policy}"
