"""The alert state machine, case by case: evaluations every 10 s from t=0 to t=100."""
from __future__ import annotations

import pytest

from console.rules.state import Alert, grid, replay, replay_series

TIMES = grid(0, 100, 10)


def at(*spans: tuple[int, int]) -> list[float]:
    """Evaluation times inside the closed ``spans``."""
    return [t for t in TIMES if any(a <= t <= b for a, b in spans)]


CASES = [
    # (present, for, keep_firing_for, expected alerts as (active_at, fired_at, resolved_at))
    pytest.param([], 0, 0, [], id="never present: no alert"),
    pytest.param(at((20, 40)), 0, 0, [(20, 20, 50)], id="for 0 fires at the first evaluation"),
    pytest.param(at((20, 40)), 20, 0, [(20, 40, 50)], id="fires once active for exactly 'for'"),
    pytest.param(at((20, 30)), 20, 0, [(20, None, 40)], id="pending that goes away never fires"),
    pytest.param(at((20, 100)), 30, 0, [(20, 50, None)], id="still firing at the end: unresolved"),
    pytest.param(at((20, 40)), 60, 0, [(20, None, 50)], id="too short for a long 'for'"),
    pytest.param(at((90, 100)), 30, 0, [(90, None, None)], id="pending at the end"),
    pytest.param(at((20, 30), (50, 60)), 0, 0, [(20, 20, 40), (50, 50, 70)], id="a gap resolves; a new alert follows"),
    pytest.param(at((20, 30), (50, 80)), 20, 0, [(20, None, 40), (50, 70, 90)],
                 id="a gap resets the pending clock"),
    pytest.param(at((20, 30)), 0, 30, [(20, 20, 70)], id="keep_firing_for holds a resolved condition"),
    pytest.param(at((20, 30), (50, 60)), 0, 30, [(20, 20, 100)],
                 id="a gap shorter than keep_firing_for bridges; the hold restarts after it"),
    pytest.param(at((20, 30), (80, 90)), 0, 20, [(20, 20, 60), (80, 80, None)],
                 id="a gap longer than keep_firing_for resolves"),
    pytest.param(at((20, 30)), 20, 30, [(20, None, 40)], id="keep_firing_for does not hold a pending alert"),
    pytest.param(at((0, 0), (20, 20), (40, 40)), 0, 0, [(0, 0, 10), (20, 20, 30), (40, 40, 50)], id="flapping"),
    pytest.param(at((0, 100)), 0, 0, [(0, 0, None)], id="present throughout"),
]


@pytest.mark.parametrize("present, hold, keep, expected", CASES)
def test_it_replays_prometheus_alert_states(present, hold, keep, expected):
    alerts = replay(present, TIMES, hold=hold, keep_firing_for=keep)
    assert [(a.active_at, a.fired_at, a.resolved_at) for a in alerts] == expected


def test_it_tracks_label_sets_that_come_and_go_independently():
    series = [({"instance": "a"}, at((0, 30))), ({"instance": "b"}, at((20, 60))), ({"instance": "a"}, [])]
    alerts = replay_series(series, TIMES, hold=10, keep_firing_for=0)
    assert [(a.labels["instance"], a.active_at, a.fired_at, a.resolved_at) for a in alerts] == [
        ("a", 0, 10, 40), ("b", 20, 30, 70)]


def test_it_matches_timestamps_at_millisecond_grain():
    times = grid(1000.1, 1000.5, 0.1)
    alerts = replay([1000.2000000001, 1000.3], times, hold=0.1, keep_firing_for=0)
    assert [(round(a.active_at, 3), round(a.fired_at, 3), round(a.resolved_at, 3)) for a in alerts] == [
        (1000.2, 1000.3, 1000.4)]


@pytest.mark.parametrize("alert, end, seconds, changes", [
    pytest.param(Alert({}, 0, None, 20), 100, 0, 2, id="never fired"),
    pytest.param(Alert({}, 0, 10, 40), 100, 30, 3, id="resolved"),
    pytest.param(Alert({}, 0, 10, None), 100, 90, 2, id="unresolved counts to the end"),
])
def test_it_measures_an_alert(alert, end, seconds, changes):
    assert alert.firing_seconds(end) == seconds
    assert alert.state_changes() == changes


@pytest.mark.parametrize("start, end, step, expected", [
    pytest.param(0, 30, 10, [0, 10, 20, 30], id="end included"),
    pytest.param(0, 35, 10, [0, 10, 20, 30], id="end between steps"),
    pytest.param(10, 0, 10, [], id="empty when end precedes start"),
])
def test_it_builds_the_evaluation_grid(start, end, step, expected):
    assert grid(start, end, step) == expected
