"""The pure parts of a backtest: the threshold split off for the chart, and the window checks."""
from __future__ import annotations

import pytest

from console.rules.backtest import Result, check_window, split_threshold
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
    pytest.param(0, 7 * 86400, 15, "at most 11000", id="too many points"),
])
def test_it_refuses_a_window_prometheus_would(start, end, step, message):
    with pytest.raises(ValueError, match=message):
        check_window(start, end, step)


def test_it_sums_up_alerts():
    result = Result(0, 3600, 15, [Alert({}, 0, 60, 660), Alert({}, 1000, None, 1100), Alert({}, 3000, 3060, None)], 2)
    assert [a.active_at for a in result.fired] == [0, 3000]
    assert result.firing_seconds == 600 + 540
    assert result.flapping == 3 + 2 + 2
