"""Chart columns for uPlot: one time axis for the lines and the exemplar dots."""
from __future__ import annotations

from console.backends.prometheus import Exemplar, Series
from console.correlate.chart import uplot_columns


def test_it_aligns_lines_and_exemplars_on_one_axis():
    series = {"rate": [Series({}, [(10.0, 2.0), (20.0, 3.0)])], "p99": [Series({}, [(10.0, 0.25), (20.0, float("nan"))])],
              "errors": []}
    exemplars = [Exemplar({}, {"trace_id": "abc"}, 15.0, 0.5), Exemplar({}, {}, 16.0, 0.9)]
    assert uplot_columns(series, exemplars) == {
        "x": [10.0, 15.0, 20.0],
        "rate": [2.0, None, 3.0],
        "p99": [250.0, None, None],
        "errors": [None, None, None],
        "exemplars": [None, 500.0, None],
        "trace_ids": [None, "abc", None],
    }
