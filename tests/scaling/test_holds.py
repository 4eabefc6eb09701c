"""The ticks a replay fills in without the engine: only where it certainly holds, so the replay is the same."""
from __future__ import annotations

import math
import random
from datetime import UTC, datetime

import numpy as np
import pytest

from console.scaling.backtest import Replay, replay
from console.scaling.engine import History, Recommendation, decide
from console.scaling.forecaster import Forecaster
from console.scaling.holds import Holds
from console.scaling.policy import validate_policy
from sample_services.history import load_at

START = datetime(2025, 1, 6, tzinfo=UTC).timestamp()
METRICS = {
    "pods": {"type": "Pods", "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": 20}}},
    "cpu": {"type": "Resource", "resource": {"name": "cpu", "request": 0.5,
                                             "target": {"type": "Utilization", "averageUtilization": 60}}},
    "value": {"type": "External", "external": {"metric": {"name": "p95"}, "target": {"type": "Value", "value": 0.25}}},
    "total": {"type": "External", "external": {"metric": {"name": "lag"},
                                               "target": {"type": "AverageValue", "averageValue": 100}}},
}
BEHAVIORS = [
    None,
    {"scaleDown": {"stabilizationWindowSeconds": 0}},
    {"scaleDown": {"stabilizationWindowSeconds": 120, "tolerance": 0.2}, "scaleUp": {"tolerance": 0.05}},
    {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}},
]


def policy(metrics=("pods",), behavior=None, low=1, high=12, **extra):
    """A policy on the named metrics, the legacy path without ``behavior``."""
    spec = {"scaleTargetRef": {"name": "gateway"}, "minReplicas": low, "maxReplicas": high,
            "metrics": [METRICS[m] for m in metrics], **extra}
    if behavior is not None:
        spec["behavior"] = behavior
    return validate_policy({"metadata": {"name": "gateway"}, "spec": spec})


def observed_at(p, current, totals):
    """What the engine reads with every replica ready: a per-replica metric's total spread over them."""
    return {m.name: [totals[m.name] / current] * current if m.per_replica else totals[m.name] for m in p.spec.metrics}


def typical(metric, current, rng):
    """A value of ``metric`` around where ``current`` replicas hold it, often exactly on a tolerance edge or a count."""
    unit = {"rps": 20 * current, "cpu": 0.3 * current, "p95": 0.25, "lag": 100 * current}[metric]
    ratio = rng.choice([rng.uniform(0, 2.5), 0.9, 1.1, 0.8, 1.2, 1.05, (current - 1) / current, 0.0, math.nan])
    return unit * ratio


@pytest.mark.parametrize("behavior", BEHAVIORS, ids=["legacy", "no down window", "tolerances", "slow up"])
@pytest.mark.parametrize("metrics", [("pods",), ("cpu",), ("value",), ("total",), ("pods", "value")])
def test_it_says_held_only_where_the_engine_keeps_the_count(metrics, behavior):
    p = policy(metrics, behavior)
    rng = random.Random(f"{metrics}{behavior}")
    held_seen = 0
    for case in range(500):
        current = rng.randint(1, 12)
        totals = {m.name: typical(m.name, current, rng) for m in p.spec.metrics}
        now = START + 3600 + case * 15.0
        # earlier recommendations, none above the count on the legacy path (the replay checks that itself)
        top = current if behavior is None else current + 3
        past = [(now - rng.choice([15, 60, 119.99, 120, 240, 299.99, 300, 300.01, 600]), rng.randint(0, top))
                for _ in range(rng.randint(0, 4))]
        last_kept = max((t for t, n in past if n >= current), default=-math.inf)
        # a forecast's floor, on a policy whose first metric can be forecast
        floor = rng.choice([1, 1, 1, current, current + 1]) if metrics[0] in ("pods", "cpu") else 1
        held, desired = Holds(p).holding(current, np.array([now]), {k: np.array([v]) for k, v in totals.items()},
                                         np.array([float(floor)]), last_kept)
        if not held[0]:
            continue
        held_seen += 1
        history = History(tuple(Recommendation(datetime.fromtimestamp(t, UTC), n) for t, n in sorted(past)))
        forecast = floor if floor > 1 else None
        p_ahead = p if forecast is None else policy(metrics, behavior, predictive={"metric": p.spec.metrics[0].name})
        decision = decide(p_ahead, datetime.fromtimestamp(now, UTC), observed_at(p, current, totals), current,
                          current, history, forecast=forecast)
        assert (decision.desired, decision.condition, decision.recommendation) \
            == (current, "DesiredWithinRange", int(desired[0])), (totals, past, floor)
    assert held_seen > 20  # the cases did reach the engine


def test_it_leaves_a_ratio_on_the_tolerance_edge_to_the_engine():
    p = policy()
    # 4 replicas at 20 rps each hold between 72 and 88 rps in all; exactly on an edge the engine decides
    totals = np.array([80.0, 88.0, 72.0, 87.9, 88.1, math.nan])
    held, _ = Holds(p).holding(4, START + 15 * np.arange(6), {"rps": totals}, np.ones(6), -math.inf)
    assert held.tolist() == [True, False, False, True, False, False]


def test_it_holds_a_lower_recommendation_only_while_the_window_remembers_the_count():
    p = policy(behavior={"scaleDown": {"stabilizationWindowSeconds": 60}})
    times = START + 15 * np.arange(6)
    # the load falls to 2.5 replicas' worth after a recommendation of 4 at START - 15
    held, desired = Holds(p).holding(4, times, {"rps": np.full(6, 50.0)}, np.ones(6), START - 15)
    assert desired.tolist() == [3] * 6
    # a window of 60 s keeps it for the ticks less than 60 s after it: START, +15 and +30
    assert held.tolist() == [True, True, True, False, False, False]


def test_a_policy_with_schedules_or_alert_steps_is_replayed_tick_by_tick():
    assert Holds(policy()).applies
    assert not Holds(policy(onAlert=[{"alert": "GatewayHighLatency", "addReplicas": 2}])).applies
    sale = {"name": "sale", "start": "0 9 * * *", "durationSeconds": 3600, "minReplicas": 4}
    assert not Holds(policy(schedules=[sale])).applies


def wandering(rng, n, level):
    """A load that wanders, jumps, rests, falls to zero and has gaps: every path of the engine, tick after tick."""
    points, value = [], level
    for i in range(n):
        move = rng.random()
        if move < 0.02:
            value = rng.choice([0.0, level * 3, level / 4])
        elif move < 0.5:
            value = max(0.0, value * rng.uniform(0.9, 1.1))
        if rng.random() > 0.01:
            points.append((START + i * 15.0, value))
    return points


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("behavior", BEHAVIORS, ids=["legacy", "no down window", "tolerances", "slow up"])
def test_a_replay_that_fills_in_held_ticks_equals_one_that_asks_the_engine_every_tick(behavior, seed):
    rng = random.Random(seed)
    metrics = rng.choice([("pods",), ("cpu",), ("total",), ("pods", "value")])
    p = policy(metrics, behavior)
    loads = {"rps": wandering(rng, 2000, 100.0), "cpu": wandering(rng, 2000, 1.5),
             "lag": wandering(rng, 2000, 400.0), "p95": wandering(rng, 2000, 0.2)}
    end = START + 1999 * 15.0
    startup = rng.choice([0.0, 0.0, 45.0])
    asked = replay(p, loads, START, end, 15.0, initial_replicas=3, startup_seconds=startup, every_tick=True)
    filled = replay(p, loads, START, end, 15.0, initial_replicas=3, startup_seconds=startup)
    assert filled.ticks == asked.ticks
    assert (filled.events, filled.under_provisioned_seconds, filled.replica_hours) \
        == (asked.events, asked.under_provisioned_seconds, pytest.approx(asked.replica_hours))
    assert asked.decided == 2000 and filled.decided < 2000


def test_a_predictive_replay_fills_in_held_ticks_alike():
    rng = random.Random(5)
    load = [(START + s, load_at(datetime.fromtimestamp(START + s, UTC), 150) * rng.uniform(0.95, 1.05))
            for s in range(0, 9 * 86400, 15)]
    ahead = policy(predictive={"metric": "rps", "mode": "forecastAndScale", "leadSeconds": 600})
    start, end = START + 8 * 86400, START + 9 * 86400 - 15
    runs = [replay(ahead, {"rps": load}, start, end, 15, initial_replicas=3, forecaster=Forecaster(ahead, load[::20]),
                   every_tick=every) for every in (True, False)]
    assert runs[1].ticks == runs[0].ticks and runs[1].events == runs[0].events
    assert runs[1].decided < len(runs[1].at) / 4


@pytest.mark.parametrize("behavior", BEHAVIORS[:2], ids=["legacy", "no down window"])
def test_a_replay_fed_in_pieces_equals_one_fed_at_once(behavior):
    rng = random.Random(7)
    p = policy(("pods",), behavior)
    load = wandering(rng, 3000, 100.0)
    end = START + 2999 * 15.0
    whole = replay(p, {"rps": load}, START, end, 15.0, initial_replicas=3)
    pieces = Replay(p, START, end, 15.0, initial_replicas=3)
    cut = 0
    while cut < len(load):
        # as a backtest reads them: each piece's points, then the ticks through its last moment
        piece = load[cut:cut + rng.randint(1, 700)]
        cut += len(piece)
        pieces.add({"rps": piece})
        pieces.advance(piece[-1][0])
    pieces.advance(end)
    assert pieces.result() == whole
