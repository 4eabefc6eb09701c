"""Replaying a policy over past load through the loop's engine: counts, readiness, forecasts, what it costs."""
from __future__ import annotations

import math
import random
from datetime import UTC, datetime

import pytest

from console.scaling.backtest import counterpart, replay
from console.scaling.forecaster import Forecaster
from console.scaling.engine import decide
from console.scaling.forecast import DAY
from console.scaling.policy import validate_policy
from sample_services.history import load_at

START = datetime(2025, 1, 6, tzinfo=UTC).timestamp()  # a Monday
RPS = {"type": "Pods", "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": 20}}}


def policy(*, low=1, high=12, predictive=None, **extra):
    """A policy on requests per second, 20 a replica."""
    spec = {"scaleTargetRef": {"name": "gateway"}, "minReplicas": low, "maxReplicas": high, "metrics": [RPS], **extra}
    if predictive:
        spec["predictive"] = {"metric": "rps", **predictive}
    return validate_policy({"metadata": {"name": "gateway"}, "spec": spec})


def steps(values, step=15.0, start=START):
    """Points every ``step`` seconds from ``start``."""
    return [(start + i * step, v) for i, v in enumerate(values)]


def test_it_scales_as_the_engine_decides_at_each_tick():
    load = steps([30] * 4 + [100] * 8 + [30] * 40)
    run = replay(policy(), {"rps": load}, START, load[-1][0], 15, initial_replicas=2)
    counts = [t.replicas for t in run.ticks]
    assert counts[:5] == [2, 2, 2, 2, 2]
    # 100 rps over 20 a replica is 5, reached in two ticks: the controller at most doubles (or goes to 4) at once
    assert counts[5:7] == [4, 5]
    # the default scale-down window holds the count five minutes after the load fell
    assert counts[12:12 + 20] == [5] * 20
    assert counts[-1] == 2
    assert [(a, b) for _, a, b in run.events] == [(2, 4), (4, 5), (5, 2)]
    # the first tick is the engine's own decision on the same inputs
    first = decide(policy(), datetime.fromtimestamp(START, UTC), {"rps": [15.0, 15.0]}, 2, 2)
    assert run.ticks[0].desired == first.desired


def test_it_spreads_a_per_replica_load_over_the_ready_replicas_only():
    load = steps([100] * 10)
    fast = {"scaleUp": {"policies": [{"type": "Pods", "value": 10, "periodSeconds": 15}]}}
    run = replay(policy(behavior=fast), {"rps": load}, START, load[-1][0], 15, initial_replicas=1, startup_seconds=30)
    # a tick shows the count it found: scaled to 5 at the first, ready 30 s later
    assert [(t.replicas, t.ready) for t in run.ticks[:4]] == [(1, 1), (5, 1), (5, 5), (5, 5)]
    # under-provisioned until they are: 100 rps on one replica sized for 20, for two ticks
    assert [t.under_provisioned for t in run.ticks[:4]] == [True, True, False, False]
    assert run.under_provisioned_seconds == 30
    assert run.replica_hours == pytest.approx((1 + 5 * 9) * 15 / 3600)


def test_it_stops_starting_replicas_first_on_a_scale_down():
    load = steps([100] + [0.5] * 30)
    run = replay(policy(behavior={"scaleDown": {"stabilizationWindowSeconds": 0}}), {"rps": load}, START,
                 load[-1][0], 15, initial_replicas=1, startup_seconds=600)
    down = next(t for t in run.ticks if t.replicas == 1 and t.at > START)
    assert down.ready == 1  # the starting four were stopped, the serving one kept


def test_it_keeps_the_count_without_load_data():
    run = replay(policy(), {"rps": []}, START, START + 300, 15, initial_replicas=3)
    assert {t.replicas for t in run.ticks} == {3}
    assert {t.condition for t in run.ticks} == {"FailedGetMetrics"}
    assert run.under_provisioned_seconds == 0


def test_it_adds_the_alert_step_while_the_alert_fires():
    on_alert = [{"alert": "GatewayHighLatency", "addReplicas": 2}]
    load = steps([20] * 10)
    run = replay(policy(onAlert=on_alert), {"rps": load}, START, load[-1][0], 15, initial_replicas=1,
                 firing=lambda now: {"GatewayHighLatency"} if now >= START + 60 else set())
    assert [t.replicas for t in run.ticks][:6] == [1, 1, 1, 1, 1, 3]


def diurnal_week_and_a_half(seed=2):
    """Fifteen days of the shop's daily wave at 15 s, peaking at 150 rps, with 5 % jitter."""
    rng = random.Random(seed)
    return [(START + s, load_at(datetime.fromtimestamp(START + s, UTC), 150) * rng.uniform(0.95, 1.05))
            for s in range(0, 15 * 86400, 15)]


def test_a_predictive_policy_is_under_provisioned_far_less_at_little_cost():
    load = diurnal_week_and_a_half()
    history = load[::20]  # the forecast reads five-minute points
    start, end = START + 14 * DAY, START + 15 * DAY - 15
    reactive = replay(policy(), {"rps": load}, start, end, 15, initial_replicas=3, startup_seconds=30)
    ahead = policy(predictive={"mode": "forecastAndScale", "leadSeconds": 300})
    predictive = replay(ahead, {"rps": load}, start, end, 15, initial_replicas=3, startup_seconds=30,
                        forecaster=Forecaster(ahead, history))
    assert predictive.forecast_wape <= 0.15
    assert reactive.under_provisioned_seconds > 3600
    assert predictive.under_provisioned_seconds <= reactive.under_provisioned_seconds / 2
    assert predictive.replica_hours <= 1.1 * reactive.replica_hours


def test_a_forecast_only_policy_scales_as_the_reactive_one_and_shows_the_forecast():
    load = diurnal_week_and_a_half()
    start, end = START + 14 * DAY, START + 14 * DAY + 4 * 3600
    watching = policy(predictive={"mode": "forecastOnly"})
    shown = replay(watching, {"rps": load}, start, end, 15, initial_replicas=3, forecaster=Forecaster(watching, load[::20]))
    reactive = replay(policy(), {"rps": load}, start, end, 15, initial_replicas=3)
    assert [t.replicas for t in shown.ticks] == [t.replicas for t in reactive.ticks]
    assert all(t.forecast is not None for t in shown.ticks)


def test_the_forecast_in_force_never_saw_the_future():
    load = diurnal_week_and_a_half()
    ahead = policy(predictive={"mode": "forecastAndScale"})
    forecaster = Forecaster(ahead, load[::20])
    model = forecaster.model_at(START + 10 * DAY + 1800)
    assert model.fitted_until < START + 10 * DAY
    assert forecaster.model_at(START + 10 * DAY + 3599) is model
    assert forecaster.model_at(START + 0.5 * DAY) is None  # half a day of history: no forecast yet


def test_it_asks_for_the_peak_of_the_lead_window():
    load = diurnal_week_and_a_half()
    ahead = policy(predictive={"mode": "forecastAndScale", "leadSeconds": 3600})
    forecaster = Forecaster(ahead, load[::20])
    # 10:00 UTC on a weekday, the load rising to the peak at 14:00
    now = START + 8 * DAY + 10 * 3600
    model = forecaster.model_at(now)
    at_now, at_peak = model.predict([now, now + 3600])
    assert forecaster.replicas_at(now) == math.ceil(at_peak / 20) > math.ceil(at_now / 20)
    right_now = policy(predictive={"mode": "forecastAndScale", "leadSeconds": 0})
    assert Forecaster(right_now, load[::20]).replicas_at(now) == math.ceil(at_now / 20)


def test_it_compares_a_policy_with_its_predictive_or_reactive_counterpart():
    reactive = policy()
    ahead = counterpart(reactive, lead_seconds=900)
    assert (ahead.name, ahead.spec.predictive.mode, ahead.spec.predictive.metric, ahead.spec.predictive.lead_seconds) \
        == ("gateway-predictive", "forecastAndScale", "rps", 900)
    back = counterpart(ahead)
    assert back.name == "gateway-predictive-reactive" and back.spec.predictive is None
    latency = {"type": "External", "external": {"metric": {"name": "p95"}, "target": {"type": "Value", "value": 1}}}
    assert counterpart(validate_policy({"metadata": {"name": "x"}, "spec": {
        "scaleTargetRef": {"name": "x"}, "maxReplicas": 3, "metrics": [latency]}})) is None


def test_it_charts_the_forecast_load_it_acted_on():
    load = diurnal_week_and_a_half()
    ahead = policy(predictive={"mode": "forecastAndScale"})
    start = START + 14 * DAY
    run = replay(ahead, {"rps": load}, start, start + 3600, 60, initial_replicas=3,
                 forecaster=Forecaster(ahead, load[::20]))
    for tick in run.ticks:
        assert tick.forecast_load == pytest.approx(dict(load)[tick.at], rel=0.15)


def test_the_forecast_of_many_ticks_at_once_is_each_ticks_own():
    load = diurnal_week_and_a_half()
    ahead = policy(predictive={"mode": "forecastAndScale", "leadSeconds": 330})
    forecaster = Forecaster(ahead, load[::20])
    rng = random.Random(3)
    # a replay's grid at odd steps and offsets, across refit boundaries, and before there is a model
    start = START + 14 * DAY - 7 * 3600 + rng.uniform(0, 60)
    for step in (15.0, 7.5, 61.0, rng.uniform(1, 90)):
        times = [start + k * step for k in range(600)]
        replicas, loads = forecaster.over(times)
        assert replicas == [forecaster.replicas_at(t) for t in times]
        assert loads == [forecaster.load_at(t) for t in times]
    early = [START + 3600 + k * 15.0 for k in range(10)]
    assert forecaster.over(early) == ([None] * 10, [None] * 10)
