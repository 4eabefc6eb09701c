"""Sparklines: a range query placed on its steps, and drawn into a small SVG box."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from console.correlate.chart import sparkline_points
from console.correlate.collect import on_steps
from console.correlate.window import Window

START = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("values, points", [
    pytest.param([1.0, 3.0, 2.0], "0.0,19.0 50.0,1.0 100.0,10.0", id="spans the box from lowest to highest"),
    pytest.param([2.0, 2.0], "0.0,19.0 100.0,19.0", id="flat: along the bottom"),
    pytest.param([None, 1.0, None, 3.0], "33.3,19.0 100.0,1.0", id="gaps are skipped"),
    pytest.param([None, float("nan")], "", id="nothing known: nothing drawn"),
    pytest.param([], "", id="no values"),
])
def test_it_scales_values_into_the_box(values, points):
    assert sparkline_points(values, width=100, height=20) == points


def test_it_places_points_on_the_nearest_step_and_leaves_the_missing_ones_empty():
    window = Window(START, START + timedelta(seconds=60))
    t0 = START.timestamp()
    # Prometheus answers in milliseconds, and leaves out steps with no sample
    points = [(t0 + 0.0004, 1.0), (t0 + 20.001, 3.0), (t0 + 60, 4.0), (t0 + 200, 9.0)]
    assert on_steps(points, window, 20) == [1.0, 3.0, None, 4.0]
