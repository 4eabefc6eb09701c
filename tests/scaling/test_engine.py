"""The engine's decisions against the Kubernetes controller's normalization tests, then our additions.

Conformance cases come from ``pkg/controller/podautoscaler/horizontal_test.go``; each id is the
Go test and case name. The metric recommendation is fed through an External metric with an
AverageValue target of 1, so the observed value is the "prenormalized desired replicas".
Scale events are placed as the Go helper ``generateEventsUniformDistribution`` places them.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.scaling.engine import History, Recommendation, ScaleEvent, decide, memory_seconds
from console.scaling.policy import validate_policy

NOW = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)  # a Monday
WANT = {"type": "External", "external": {"metric": {"name": "want"},
                                         "target": {"type": "AverageValue", "averageValue": 1}}}


def policy(*, low=1, high=1000, behavior=None, metrics=None, **extra):
    """A policy for the gateway; ``behavior=None`` leaves it out (the controller's legacy path)."""
    spec = {"scaleTargetRef": {"name": "gateway"}, "minReplicas": low, "maxReplicas": high,
            "metrics": [WANT] if metrics is None else metrics, **extra}
    if behavior is not None:
        spec["behavior"] = behavior
    return validate_policy({"metadata": {"name": "gateway"}, "spec": spec})


def rules(pods=0, pods_period=0, percent=0, percent_period=0, window=0, select="Max"):
    """The Go helper ``generateScalingRules``."""
    policies = []
    if pods:
        policies.append({"type": "Pods", "value": pods, "periodSeconds": pods_period})
    if percent:
        policies.append({"type": "Percent", "value": percent, "periodSeconds": percent_period})
    return {"stabilizationWindowSeconds": window, "selectPolicy": select, "policies": policies}


def spread(changes, period):
    """The Go helper ``generateEventsUniformDistribution``: events at the centres of equal segments."""
    segment = period / len(changes)
    return tuple(ScaleEvent(NOW - timedelta(seconds=period - segment * (i + 1) + segment / 2), c)
                 for i, c in enumerate(changes))


def ago(*pairs):
    """Recommendations ``(replicas, seconds ago)``."""
    return tuple(Recommendation(NOW - timedelta(seconds=s), r) for r, s in pairs)


def run(p, current, desired, history=None):
    return decide(p, NOW, {"want": desired}, current, current, history or History())


WITH_RULES = [
    # (current, desired, min, max, scaleUp, scaleDown, up events, down events, expected, condition, id)
    (5, 7, 3, 8, None, None, (), (), 7, "DesiredWithinRange", "prenormalized desired replicas within range"),
    (3, 1, 2, 8, None, None, (), (), 2, "TooFewReplicas", "prenormalized desired replicas < minReplicas"),
    (1, 0, 0, 10, None, None, (), (), 0, "DesiredWithinRange",
     "prenormalized desired replicas within range when minReplicas is 0"),
    (20, 1000, 1, 10, None, None, (), (), 10, "TooManyReplicas",
     "maxReplicas is the limit because maxReplicas < scaleUpLimit"),
    (100, 1000, 100, 150, None, None, (), (), 150, "TooManyReplicas",
     "desired replica count is more than the maximum replica count"),
    (3, 1000, 1, 2000, rules(0, 0, 1, 60), None, (), (), 4, "ScaleUpLimit",
     "scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies"),
    (10, 50, 1, 1000, None, None, (), (), 20, "ScaleUpLimit", "scaleUp with default behavior"),
    (10, 500, 1, 1000, rules(100, 60, 100, 60), None, (), (), 110, "ScaleUpLimit",
     "scaleUp with pods policy larger than percent policy"),
    (10, 500, 1, 1000, rules(2, 60, 100, 60), None, (), (), 20, "ScaleUpLimit",
     "scaleUp with percent policy larger than pods policy"),
    (10, 50, 1, 1000, rules(100, 60), None, (), (), 50, "DesiredWithinRange",
     "scaleUp with spec MaxReplicas limitation with large pod policy"),
    (10, 50, 1, 1000, rules(10000, 60), None, (), (), 50, "DesiredWithinRange",
     "scaleUp with spec MaxReplicas limitation with large percent policy"),
    (10, 50, 1, 1000, rules(30, 60), None, (), (), 40, "ScaleUpLimit", "scaleUp with pod policy limitation"),
    (10, 50, 1, 1000, rules(0, 0, 200, 60), None, (), (), 30, "ScaleUpLimit", "scaleUp with percent policy limitation"),
    (100, 2, 1, 1000, None, rules(20, 60, 1, 60, 300), (), (), 80, "ScaleDownLimit",
     "scaleDown with percent policy larger than pod policy"),
    (100, 2, 1, 1000, None, rules(2, 60, 1, 60, 300), (), (), 98, "ScaleDownLimit",
     "scaleDown with pod policy larger than percent policy"),
    (10, 0, 1, 1000, None, rules(100, 60, 0, 0, 300), (), (), 1, "TooFewReplicas",
     "scaleDown with spec MinReplicas limitation with large pod policy"),
    (10, 2, 5, 1000, None, rules(0, 0, 100, 60, 300), (), (), 5, "TooFewReplicas",
     "scaleDown with spec MinReplicas limitation with large percent policy"),
    (10, 2, 1, 1000, None, rules(5, 60, 0, 0, 300), (), (), 5, "ScaleDownLimit", "scaleDown with pod policy limitation"),
    (10, 5, 1, 1000, None, rules(0, 0, 50, 60, 300), (), (), 5, "DesiredWithinRange",
     "scaleDown with percent policy limitation"),
    (100, 500, 1, 200, rules(300, 60), None, spread([1, 5, 9], 120), (), 200, "TooManyReplicas",
     "scaleUp with spec MaxReplicas limitation with large pod policy and events"),
    (100, 500, 1, 200, rules(0, 0, 10000, 60), None, spread([1, 5, 9], 120), (), 200, "TooManyReplicas",
     "scaleUp with spec MaxReplicas limitation with large percent policy and events"),
    (100, 500, 1, 1000, rules(5, 120), None, spread([1, 5, 9], 120), (), 100, "ScaleUpLimit",
     "scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events"),
    (100, 500, 1, 1000, rules(150, 120), None, spread([1, 5, 9], 120), (), 235, "ScaleUpLimit",
     "scaleUp with pod policy and previous scale up events"),
    (100, 500, 1, 1000, rules(0, 0, 200, 120), None, spread([1, 5, 9], 120), (), 255, "ScaleUpLimit",
     "scaleUp with percent policy and previous scale up events"),
    (10, 5, 1, 1000, None, None, (), spread([1, 5, 9], 120), 5, "DesiredWithinRange",
     "scaleDown with default policy and previous events"),
    (100, 0, 1, 1000, None, rules(115, 120, 0, 0, 300), (), spread([1, 5, 9], 120), 1, "TooFewReplicas",
     "scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events"),
    (100, 0, 5, 1000, None, rules(130, 120, 0, 0, 300), (), spread([1, 5, 9], 120), 5, "TooFewReplicas",
     "scaleDown with spec MinReplicas limitation with large pod policy and previous events"),
    (100, 2, 5, 1000, None, rules(0, 0, 100, 120, 300), (), spread([1, 5, 9], 120), 5, "TooFewReplicas",
     "scaleDown with spec MinReplicas limitation with large percent policy and previous events"),
    (100, 2, 1, 1000, None, rules(5, 120, 0, 0, 300), (), spread([1, 5, 9], 120), 100, "ScaleDownLimit",
     "scaleDown with pod policy limitation and previous events"),
    (100, 0, 1, 1000, None, rules(0, 0, 50, 120, 300), (), spread([2, 4, 6], 120), 56, "ScaleDownLimit",
     "scaleDown with percent policy limitation and previous events"),
    (100, 0, 1, 1000, None, rules(0, 0, 10, 120, 300), (), spread([10, 10, 10], 120), 100, "ScaleDownLimit",
     "scaleDown with previous events preventing further scale down"),
    (10, 5, 1, 1000, None, rules(0, 0, 1000, 120, 300), (), spread([10, 10, 10], 120), 5, "DesiredWithinRange",
     "scaleDown with with previous events still allowing more scale down"),
    (100, 200, 1, 1000, rules(1000, 60), None, spread([8, 12, 9, 11], 120), (), 200, "DesiredWithinRange",
     "check 'outdated' flag for events for one behavior for up"),
    (100, 200, 1, 1000, rules(1000, 120, 100, 60), None, spread([8, 12, 9, 11], 120), (), 200, "DesiredWithinRange",
     "check that events were not marked 'outdated' for two different policies in the behavior for up"),
    (100, 5, 1, 1000, None, rules(1000, 60, 0, 0, 300), (), spread([8, 12, 9, 11], 120), 5, "DesiredWithinRange",
     "check 'outdated' flag for events for one behavior for down"),
    (100, 5, 1, 1000, None, rules(1000, 30, 100, 60, 300), (), spread([8, 12, 9, 11], 120), 5, "DesiredWithinRange",
     "check that events were marked 'outdated' for two different policies in the behavior for down"),
]


@pytest.mark.parametrize(
    ("current", "desired", "low", "high", "up", "down", "ups", "downs", "expected", "condition"),
    [pytest.param(*case[:-1], id=f"TestScalingWithRules/{case[-1]}") for case in WITH_RULES])
def test_it_limits_the_rate_as_the_controller(current, desired, low, high, up, down, ups, downs, expected, condition):
    behavior = {k: v for k, v in (("scaleUp", up), ("scaleDown", down)) if v is not None}
    decision = run(policy(low=low, high=high, behavior=behavior), current, desired,
                   History(scale_ups=ups, scale_downs=downs))
    assert (decision.desired, decision.condition) == (expected, condition)


STABILIZATION = [
    # (recommendations, current, desired, up window, down window, expected, id)
    ((), 100, 5, 0, 0, 5, "empty recommendations for scaling down"),
    (((4, 120), (5, 60)), 100, 3, 0, 180, 5, "simple scale down stabilization"),
    (((4, 120), (5, 60)), 1, 7, 300, 0, 4, "simple scale up stabilization"),
    (((1, 120), (2, 60)), 100, 3, 300, 0, 3, "no scale down stabilization"),
    (((4, 120), (5, 60)), 1, 3, 0, 300, 3, "no scale up stabilization"),
    (((10, 600), (9, 540)), 100, 3, 0, 0, 3, "no scale down stabilization, reuse recommendation element"),
    (((10, 600), (9, 540)), 1, 100, 0, 0, 100, "no scale up stabilization, reuse recommendation element"),
    (((10, 600), (4, 60), (5, 120), (9, 540)), 100, 3, 0, 180, 5,
     "scale down stabilization, reuse one of obsolete recommendation element"),
    (((10, 6000), (6, 60), (5, 120), (9, 180)), 1, 100, 300, 0, 5,
     "scale up stabilization, reuse one of obsolete recommendation element"),
]


@pytest.mark.parametrize(("recommendations", "current", "desired", "up", "down", "expected"),
                         [pytest.param(*c[:-1], id=f"TestNormalizeDesiredReplicasWithBehavior/{c[-1]}")
                          for c in STABILIZATION])
def test_it_stabilizes_as_the_controller(recommendations, current, desired, up, down, expected):
    # rate policies wide open, so only the windows act, as in the Go test
    behavior = {"scaleUp": {**rules(1000, 15), "stabilizationWindowSeconds": up},
                "scaleDown": {**rules(0, 0, 100, 15), "stabilizationWindowSeconds": down}}
    decision = run(policy(behavior=behavior), current, desired, History(recommendations=ago(*recommendations)))
    assert decision.desired == expected
    assert decision.recommendation == desired


LEGACY = [
    # (recommendations, current, desired, min, max, expected, condition, id)
    ((), 4, 5, 1, 1000, 5, "DesiredWithinRange", "TestNormalizeDesiredReplicas/empty log"),
    (((4, 120), (5, 60)), 5, 3, 1, 1000, 5, "DesiredWithinRange", "TestNormalizeDesiredReplicas/stabilize"),
    (((1, 120), (2, 60)), 5, 3, 1, 1000, 3, "DesiredWithinRange", "TestNormalizeDesiredReplicas/no stabilize"),
    (((10, 600), (9, 540)), 5, 3, 1, 1000, 3, "DesiredWithinRange",
     "TestNormalizeDesiredReplicas/no stabilize - old recommendations"),
    (((10, 600), (4, 60), (5, 120), (9, 540)), 5, 3, 1, 1000, 5, "DesiredWithinRange",
     "TestNormalizeDesiredReplicas/stabilize - old recommendations"),
    ((), 5, 7, 3, 8, 7, "DesiredWithinRange",
     "TestConvertDesiredReplicasWithRules/prenormalized desired replicas within range"),
    ((), 3, 1, 2, 8, 2, "TooFewReplicas", "TestConvertDesiredReplicasWithRules/prenormalized desired replicas < minReplicas"),
    ((), 1, 0, 0, 10, 0, "DesiredWithinRange",
     "TestConvertDesiredReplicasWithRules/prenormalized desired zeroed replicas within range"),
    ((), 20, 1000, 1, 10, 10, "TooManyReplicas",
     "TestConvertDesiredReplicasWithRules/maxReplicas is the limit because maxReplicas < scaleUpLimit"),
    ((), 3, 1000, 1, 2000, 6, "ScaleUpLimit",
     "TestConvertDesiredReplicasWithRules/scaleUpLimit is the limit because scaleUpLimit < maxReplicas"),
]


@pytest.mark.parametrize(("recommendations", "current", "desired", "low", "high", "expected", "condition"),
                         [pytest.param(*c[:-1], id=c[-1]) for c in LEGACY])
def test_it_takes_the_legacy_path_without_behavior(recommendations, current, desired, low, high, expected, condition):
    decision = run(policy(low=low, high=high), current, desired, History(recommendations=ago(*recommendations)))
    assert (decision.desired, decision.condition) == (expected, condition)


@pytest.mark.parametrize(("current", "desired", "direction", "expected"), [
    pytest.param(1, 10, "scaleUp", 2, id="TestCalculateScaleUpLimitWithScalingRules"),
    pytest.param(5, 0, "scaleDown", 3, id="TestCalculateScaleDownLimitWithBehaviors"),
])
def test_it_selects_the_smallest_change_with_min(current, desired, direction, expected):
    behavior = {direction: rules(2, 60, 50, 60, 300, select="Min")}
    assert run(policy(low=0, behavior=behavior), current, desired).desired == expected


@pytest.mark.parametrize(("current", "expected", "condition"), [
    pytest.param(0, 0, "ScalingDisabled", id="TestZeroReplicas"),
    pytest.param(2, 3, "TooFewReplicas", id="TestTooFewReplicas"),
    pytest.param(10, 5, "TooManyReplicas", id="TestTooManyReplicas"),
])
def test_it_brings_the_count_back_within_bounds_first(current, expected, condition):
    decision = run(policy(low=3, high=5), current, 4)
    assert (decision.desired, decision.condition) == (expected, condition)


def test_it_keeps_the_count_when_a_metric_is_missing_on_a_scale_down():
    # TestNoScaleDownOneMetricInvalid: one metric fails, the other would scale down
    metrics = [WANT, {**WANT, "external": {**WANT["external"], "metric": {"name": "broken"}}}]
    decision = decide(policy(metrics=metrics), NOW, {"want": 2, "broken": None}, 5, 5)
    assert (decision.desired, decision.condition) == (5, "FailedGetMetrics")
    assert decision.errors == ("broken: no value",)


def test_it_scales_up_on_the_metrics_that_work():
    # TestScaleUpOneMetricInvalid: a failing metric does not stop a scale-up on another
    metrics = [WANT, {**WANT, "external": {**WANT["external"], "metric": {"name": "broken"}}}]
    decision = decide(policy(metrics=metrics), NOW, {"want": 4}, 3, 3)
    assert decision.desired == 4


def test_it_takes_the_highest_proposal_over_metrics():
    metrics = [WANT, {**WANT, "external": {**WANT["external"], "metric": {"name": "other"}}}]
    decision = decide(policy(metrics=metrics), NOW, {"want": 4, "other": 7}, 3, 3)
    assert decision.desired == 6  # 7 asked, legacy scale-up limit max(2 x 3, 4) = 6
    assert [p.replicas for p in decision.proposals] == [4, 7]


SCHEDULE = {"name": "office-hours", "start": "0 8 * * 1-5", "durationSeconds": 36000, "minReplicas": 4}


@pytest.mark.parametrize(("now", "expected"), [
    pytest.param(NOW, 4, id="inside the window raises the floor"),
    pytest.param(NOW.replace(hour=7), 2, id="before the window the metrics rule"),
    pytest.param(NOW.replace(hour=18, minute=1), 2, id="after the window closes"),
    pytest.param(NOW + timedelta(days=5), 2, id="not on a Saturday"),
])
def test_it_raises_the_floor_during_a_schedule(now, expected):
    p = policy(low=1, high=10, schedules=[SCHEDULE], behavior={"scaleDown": {"stabilizationWindowSeconds": 0}})
    assert decide(p, now, {"want": 2}, 2, 2).desired == expected


def test_it_adds_the_alert_step_while_the_alert_fires():
    p = policy(high=10, onAlert=[{"alert": "GatewaySlow", "addReplicas": 2}], behavior={})
    quiet = decide(p, NOW, {"want": 3}, 3, 3, firing_alerts={"SomethingElse"})
    assert (quiet.desired, quiet.alerts) == (3, ())
    firing = decide(p, NOW, {"want": 3}, 3, 3, firing_alerts={"GatewaySlow", "SomethingElse"})
    assert (firing.desired, firing.alerts) == (5, ("GatewaySlow",))
    assert "alert GatewaySlow fires: +2 -> 5" in firing.reasons


AHEAD = {"mode": "forecastAndScale", "metric": "want", "leadSeconds": 600}


@pytest.mark.parametrize(("predictive", "current", "want", "forecast", "expected", "condition"), [
    pytest.param(AHEAD, 2, 2, 6, 6, "TooFewReplicas", id="the forecast raises the floor ahead of the load"),
    pytest.param(AHEAD, 6, 8, 6, 8, "DesiredWithinRange", id="a higher reactive need wins"),
    pytest.param(AHEAD, 6, 2, 6, 6, "TooFewReplicas", id="no scale-down below the forecast"),
    pytest.param(AHEAD, 2, 2, 50, 10, "TooFewReplicas", id="never above maxReplicas"),
    pytest.param(AHEAD, 2, 2, None, 2, "DesiredWithinRange", id="no forecast yet: the metrics rule"),
    pytest.param({**AHEAD, "mode": "forecastOnly"}, 2, 2, 6, 2, "DesiredWithinRange",
                 id="forecastOnly shows, never acts"),
])
def test_it_scales_ahead_of_the_forecast(predictive, current, want, forecast, expected, condition):
    p = policy(high=10, predictive=predictive, behavior={"scaleDown": {"stabilizationWindowSeconds": 0}})
    decision = decide(p, NOW, {"want": want}, current, current, forecast=forecast)
    assert (decision.desired, decision.condition, decision.forecast) == (expected, condition, forecast)


def test_it_says_what_a_forecast_only_policy_would_have_done():
    p = policy(high=10, predictive={**AHEAD, "mode": "forecastOnly"})
    assert "forecast asks 6 (forecastOnly: not acted on)" in decide(p, NOW, {"want": 2}, 2, 2, forecast=6).reasons
    scaling = decide(policy(high=10, predictive=AHEAD), NOW, {"want": 2}, 2, 2, forecast=6)
    assert scaling.reasons == ("2 replicas is below the floor 6 (forecast 600 s ahead)",)


def test_it_never_scales_when_the_direction_is_disabled():
    p = policy(behavior={"scaleDown": {"selectPolicy": "Disabled", "stabilizationWindowSeconds": 0}})
    decision = run(p, 8, 2)
    assert (decision.desired, decision.condition) == (8, "ScaleDownLimit")
    assert "this direction is disabled" in decision.reasons[-1]


def test_it_explains_each_step():
    history = History(recommendations=ago((6, 60)))
    decision = run(policy(behavior={"scaleDown": {"stabilizationWindowSeconds": 120}}), 8, 2, history)
    assert decision.desired == 6
    assert decision.reasons == (
        "want: 0.25 against target 1 (ratio 0.250) -> 2",
        "stabilized to 6: the highest recommendation of the last 120 s",
    )


@pytest.mark.parametrize(("behavior", "expected"), [
    pytest.param(None, 300, id="legacy: the five-minute window"),
    pytest.param({}, 300, id="behavior with the defaults: the scale-down window"),
    pytest.param({"scaleDown": {"stabilizationWindowSeconds": 30,
                                "policies": [{"type": "Pods", "value": 1, "periodSeconds": 600}]}}, 600,
                 id="a rate period longer than the windows"),
    pytest.param({"scaleUp": {"stabilizationWindowSeconds": 900}, "scaleDown": {"stabilizationWindowSeconds": 0}}, 900,
                 id="the scale-up window"),
])
def test_it_says_how_far_back_it_looks(behavior, expected):
    assert memory_seconds(policy(behavior=behavior)) == expected
