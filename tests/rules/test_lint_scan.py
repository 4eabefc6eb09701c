"""The pure half of the live checks: what an expression selects, groups by and feeds to rate()."""
from __future__ import annotations

import pytest

from console.rules.lint import (
    counter_arguments,
    counter_problems,
    grouping_labels,
    hold_problems,
    label_problems,
    metric_names,
    template_labels,
)
from console.rules.model import Rule

ERRORS = ('sum by (service) (rate(http_requests_total{status=~"5..",route!="/x"}[5m] offset 1m))'
          ' / on(service) sum by (service) (rate(http_requests_total[5m])) > 0.05 and up{job="shop"} == 1')


def rule(**fields) -> Rule:
    return Rule.model_validate({"group": "g", "alert": "A", "expr": ERRORS, **fields})


@pytest.mark.parametrize("expr, names", [
    pytest.param(ERRORS, ["http_requests_total", "up"], id="functions, keywords and matchers skipped"),
    pytest.param("histogram_quantile(0.95, sum by (le) (rate(d_bucket[5m]))) > 1e3", ["d_bucket"],
                 id="numbers are not metrics"),
    pytest.param('vector(1) > 0', [], id="no selector"),
    pytest.param('{__name__="up"}', [], id="name in a matcher is not scanned"),
    pytest.param('job:requests:rate5m > 1', ["job:requests:rate5m"], id="recording rule name with colons"),
])
def test_it_finds_the_metric_names(expr, names):
    assert metric_names(expr) == names


def test_it_finds_rate_arguments_and_grouping_labels():
    assert counter_arguments(ERRORS) == [("rate", "http_requests_total"), ("rate", "http_requests_total")]
    assert grouping_labels(ERRORS) == ["service"]
    assert grouping_labels("sum without (instance) (up)") == []


def test_it_finds_labels_used_in_templates():
    assert template_labels({"summary": "{{ $labels.service }} {{ .Labels.route }} {{ $value }}", "plain": "x"}) == {
        "summary": ["service", "route"]}


@pytest.mark.parametrize("pairs, types, found", [
    pytest.param([("rate", "http_requests_total")], {"http_requests_total": "counter"}, [], id="counter"),
    pytest.param([("rate", "d_bucket")], {"d": "histogram"}, [], id="histogram bucket"),
    pytest.param([("rate", "queue_depth")], {"queue_depth": "gauge"}, [("error", "gauge")], id="gauge is an error"),
    pytest.param([("increase", "mystery")], {}, [("warning", "not known as a counter")], id="unknown type warns"),
    pytest.param([("irate", "mystery_total")], {}, [], id="unknown type with a counter name"),
])
def test_it_checks_that_rate_is_applied_to_counters(pairs, types, found):
    problems = counter_problems(pairs, types)
    assert [(p.severity, text) for p, (_, text) in zip(problems, found) if text in p.message] == found
    assert len(problems) == len(found)


@pytest.mark.parametrize("hold, interval, warned", [
    pytest.param("0s", 15, False, id="no for"),
    pytest.param("10s", 15, True, id="shorter than an evaluation"),
    pytest.param("15s", 15, False, id="one evaluation"),
])
def test_it_warns_about_a_for_shorter_than_the_interval(hold, interval, warned):
    assert bool(hold_problems(rule(**{"for": hold}), interval)) == warned


def test_it_reports_labels_missing_from_the_series():
    r = rule(labels={"team": "shop"}, annotations={"summary": "{{ $labels.service }} {{ $labels.team }} {{ $labels.pod }}"})
    problems = label_problems(r, grouping_seen={"route", "status"}, output_seen={"service"})
    assert [(p.field, p.message) for p in problems] == [
        ("expr", "no series of the expression's metrics has label 'service'"),
        ("annotations.summary", "$labels.pod is not on the series the expression returns")]


def test_it_checks_no_labels_when_nothing_was_seen():
    r = rule(annotations={"summary": "{{ $labels.pod }}"})
    assert label_problems(r, grouping_seen=set(), output_seen=None) == []
