"""The pure parts of a backtest: the threshold split off for the chart, the window checks and the chart columns."""
from __future__ import annotations

import pytest

from console.rules.backtest import (
    MAX_CHART_POINTS,
    Result,
    chart_columns,
    check_window,
    range_chunks,
    split_threshold,
)
from console.rules.state import Alert


@pytest.mark.parametrize("expr, split", [
    pytest.param("sum(rate(x[5m])) > 0.05", ("sum(rate(x[5m]))", ">", 0.05), id="greater than"),
    pytest.param("up == 0", ("up", "==", 0.0), id="equals"),
    pytest.param("a / b >= 1e3", ("a / b", ">=", 1000.0), id="exponent"),
    pytest.param("(x > 1)", None, id="comparison inside parentheses"),
    pytest.param("absent(up)", None, id="no comparison"),
])
def test_it_splits_a_trailing_threshold(expr, split):
    assert split_threshold(expr) == split


@pytest.mark.parametrize("start, end, step, message", [
    pytest.param(0, 0, 15, "after start", id="empty"),
    pytest.param(10, 0, 15, "after start", id="reversed"),
    pytest.param(0, 100, 0, "positive", id="zero step"),
    pytest.param(0, 9 * 86400, 15, "at most 46081", id="more than eight days at 15 s"),
])
def test_it_refuses_a_window_prometheus_would(start, end, step, message):
    with pytest.raises(ValueError, match=message):
        check_window(start, end, step)


def test_it_sums_up_alerts():
    result = Result(0, 3600, 15, [Alert({}, 0, 60, 660), Alert({}, 1000, None, 1100), Alert({}, 3000, 3060, None)], 2)
    assert [a.active_at for a in result.fired] == [0, 3000]
    assert result.firing_seconds == 600 + 540
    assert result.flapping == 3 + 2 + 2


def test_it_lays_the_chart_on_the_evaluation_grid_highest_series_first():
    start, step = 1000.25, 15.0
    low = {"labels": {"__name__": "x", "route": "/a"}, "points": [(1000.25, 1.0), (1030.25, 2.0)]}
    # Prometheus rounds timestamps to the millisecond; NaN is no value
    high = {"labels": {"route": "/b"}, "points": [(1015.251, 9.0), (1030.249, float("nan"))]}
    alerts = [Alert({"route": "/b"}, active_at=1015.25, fired_at=1030.25, resolved_at=None),
              Alert({"route": "/a"}, active_at=1000.25, fired_at=None, resolved_at=1015.25)]
    result = Result(start, start + 3 * step, step, alerts, series=2, threshold=5.0, chart=[low, high])
    columns = chart_columns(result, max_series=1)
    assert columns["x"] == [1000.25, 1015.25, 1030.25, 1045.25]
    assert columns["series"] == [{"label": '{route="/b"}', "values": [None, 9.0, None, None]}]
    assert columns["omitted"] == 1 and columns["threshold"] == 5.0
    assert columns["pending"] == [[1015.25, 1030.25], [1000.25, 1015.25]]
    assert columns["firing"] == [[1030.25, 1045.25]]
    assert chart_columns(result)["series"][1] == {"label": '{route="/a"}', "values": [1.0, None, 2.0, None]}


def test_it_accepts_a_week_at_the_evaluation_interval():
    check_window(0, 7 * 86400, 15)


@pytest.mark.parametrize("start, end, step, max_points, chunks", [
    pytest.param(0, 40, 10, 5, [(0, 40)], id="fits in one"),
    pytest.param(0, 50, 10, 5, [(0, 40), (50, 50)], id="one point over"),
    pytest.param(0, 95, 10, 3, [(0, 20), (30, 50), (60, 80), (90, 95)], id="the end off the grid"),
    pytest.param(5, 5, 10, 3, [(5, 5)], id="one point"),
])
def test_it_cuts_a_long_window_into_chunks_prometheus_answers(start, end, step, max_points, chunks):
    assert range_chunks(start, end, step, max_points=max_points) == chunks


def test_it_draws_a_long_chart_from_each_buckets_peak():
    count = 3 * MAX_CHART_POINTS + 1
    values = [(float(i), 1.0) for i in range(count)] + [(float(count), 9.0)]
    result = Result(0.0, float(count), 1.0, [], series=1, chart=[{"labels": {}, "points": values}])
    columns = chart_columns(result)
    assert len(columns["x"]) <= MAX_CHART_POINTS + 1
    assert max(columns["series"][0]["values"]) == 9.0  # the one spike survives the thinning
    assert columns["x"][0] == 0.0
