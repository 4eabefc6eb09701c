"""The target page's chart columns: the replica line as a step function of applied decisions, load, capacity, marks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from console.backends.prometheus import Series
from console.scaling.metrics import MetricSpec
from console.scaling.timeline import capacity_per_replica, chart, load_points

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PODS = MetricSpec.model_validate({"type": "Pods", "pods": {"metric": {"name": "http_requests_per_second"},
                                                           "target": {"type": "AverageValue", "averageValue": "10"}}})
P95 = MetricSpec.model_validate({"type": "External", "external": {
    "metric": {"name": "http_request_duration_p95_seconds"}, "target": {"type": "Value", "value": "500m"}}})
CPU = MetricSpec.model_validate({"type": "Resource", "resource": {
    "name": "cpu", "request": "500m", "target": {"type": "Utilization", "averageUtilization": 70}}})


@dataclass
class Rec:
    at: datetime
    from_replicas: int
    to_replicas: int
    result: str = "applied"
    dry_run: bool = False
    actor: str = "loop:a"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_it_sums_a_per_replica_metric_and_skips_nan():
    series = [Series({"replica": "a"}, [(0.0, 4.0), (2.0, 6.0)]),
              Series({"replica": "b"}, [(2.0, 5.0), (4.0, float("nan"))])]
    assert load_points(series, PODS) == [(0.0, 4.0), (2.0, 11.0)]
    assert load_points(series, P95) == [(0.0, 4.0), (2.0, 6.0)]  # one number: the first series only


@pytest.mark.parametrize("metric, expected", [
    (PODS, (10.0, True)),  # an AverageValue is per replica
    (P95, (0.5, False)),  # a Value is one bound, whatever the count
    (CPU, (0.35, True)),  # 70 % of a 500m request, in cores
], ids=["pods average", "external value", "cpu utilization"])
def test_it_knows_the_load_one_replica_is_sized_for(metric, expected):
    assert capacity_per_replica(metric) == pytest.approx(expected)


def test_it_steps_the_replicas_on_applied_records_only_and_marks_every_record():
    records = [Rec(at(10), 1, 3), Rec(at(20), 3, 2, "dry_run", True, "bob"), Rec(at(30), 3, 3, "failed"),
               Rec(at(40), 3, 1)]
    got = chart([(float(at(5).timestamp()), 30.0)], records, PODS, start=at(0), end=at(50), initial=1)
    assert [x - T0.timestamp() for x in got["x"]] == [0, 5, 10, 20, 30, 40, 50]
    assert got["replicas"] == [1, 1, 3, 3, 3, 1, 1]
    assert got["capacity"] == [10.0, 10.0, 30.0, 30.0, 30.0, 10.0, 10.0]
    assert got["load"] == [None, 30.0, None, None, None, None, None]
    assert [(m["label"], m["kind"]) for m in got["marks"]] == [
        ("1→3", "applied"), ("3→2", "dry_run"), ("3→3", "failed"), ("3→1", "applied")]
    assert got["range"] == [at(0).timestamp(), at(50).timestamp()]


def test_it_starts_the_line_at_the_first_records_count_when_nothing_came_before():
    got = chart([], [Rec(at(10), 2, 4)], P95, start=at(0), end=at(20), initial=None)
    assert got["replicas"] == [2, 4, 4]
    assert got["capacity"] == [0.5, 0.5, 0.5] and got["capacity_label"] == "target"


def test_it_draws_no_line_without_any_count():
    got = chart([], [], PODS, start=at(0), end=at(20), initial=None)
    assert got["replicas"] == [None, None] and got["capacity"] == [None, None]
