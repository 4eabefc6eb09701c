"""Policy documents: the repository's files load, quantities parse, and errors name the field."""
from __future__ import annotations

from pathlib import Path

import pytest

from console.scaling.policy import (
    PolicyError,
    load_policies,
    parse_quantity,
    validate_policy,
)

ROOT = Path(__file__).resolve().parents[2]
BASE = {"metadata": {"name": "gateway"}, "spec": {"scaleTargetRef": {"name": "gateway"}, "maxReplicas": 4}}


def test_it_loads_the_policies_of_the_repository():
    policies = load_policies(ROOT / "rules" / "scaling")
    assert {p.target for p in policies} == {"catalog", "gateway", "payments"}
    gateway = next(p for p in policies if p.target == "gateway")
    assert gateway.spec.metrics[0].promql("gateway") == (
        'sum by (replica) (rate(http_requests_total{service="gateway"}[1m]))')


def test_it_escapes_the_service_in_built_in_queries():
    policy = validate_policy({**BASE, "spec": {**BASE["spec"], "metrics": [{
        "type": "External", "external": {"metric": {"name": "http_requests_per_second"},
                                         "target": {"type": "Value", "value": 5}}}]}})
    assert policy.spec.metrics[0].promql('a"b') == 'sum(rate(http_requests_total{service="a\\"b"}[1m]))'


@pytest.mark.parametrize(("text", "value"), [
    pytest.param("500m", 0.5, id="milli"), pytest.param("2k", 2000.0, id="kilo"),
    pytest.param("1.5", 1.5, id="plain"), pytest.param(3, 3, id="number")])
def test_it_parses_quantities(text, value):
    assert parse_quantity(text) == value


@pytest.mark.parametrize(("spec", "field"), [
    pytest.param({"maxReplicas": 0}, "spec.maxReplicas", id="max below one"),
    pytest.param({"minReplicas": 5}, "spec", id="min above max"),
    pytest.param({"metrics": [{"type": "Pods"}]}, "spec.metrics.0", id="metric without its section"),
    pytest.param({"metrics": [{"type": "Pods", "pods": {"metric": {"name": "x"},
                                                        "target": {"type": "Value", "value": 1}}}]},
                 "spec.metrics.0", id="Pods metric with a Value target"),
    pytest.param({"metrics": [{"type": "External", "external": {"metric": {"name": "x"},
                                                                "target": {"type": "Value", "value": "lots"}}}]},
                 "spec.metrics.0.external.target.value", id="not a quantity"),
    pytest.param({"behavior": {"scaleDown": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 0}]}}},
                 "spec.behavior.scaleDown.policies.0.periodSeconds", id="period of zero"),
    pytest.param({"schedules": [{"name": "x", "start": "61 * * * *", "durationSeconds": 60, "minReplicas": 2}]},
                 "spec.schedules.0.start", id="bad cron"),
    pytest.param({"replicas": 3}, "spec.replicas", id="unknown field"),
    pytest.param({"predictive": {"metric": "latency"}}, "spec", id="forecast of a metric the policy lacks"),
    pytest.param({"predictive": {"metric": "rps", "mode": "forecastAlways"}}, "spec.predictive.mode",
                 id="unknown predictive mode"),
    pytest.param({"predictive": {"metric": "rps", "leadSeconds": -1}}, "spec.predictive.leadSeconds",
                 id="negative lead"),
    pytest.param({"metrics": [{"type": "External", "external": {"metric": {"name": "p95"},
                                                                "target": {"type": "Value", "value": 1}}}],
                  "predictive": {"metric": "p95"}}, "spec", id="forecast of a total without a per-replica target"),
])
def test_it_names_the_field_in_error(spec, field):
    with pytest.raises(PolicyError) as e:
        validate_policy({**BASE, "spec": {**BASE["spec"], **spec}})
    assert e.value.field == field


def test_it_names_the_file_of_a_bad_policy(tmp_path):
    (tmp_path / "bad.yml").write_text("metadata: {name: x}\nspec: {scaleTargetRef: {name: x}}\n")
    with pytest.raises(PolicyError) as e:
        load_policies(tmp_path)
    assert e.value.field == "bad.yml: spec.maxReplicas"


def test_it_asks_for_a_query_for_an_unknown_metric_name():
    policy = validate_policy({**BASE, "spec": {**BASE["spec"], "metrics": [{
        "type": "Pods", "pods": {"metric": {"name": "queue_depth"},
                                 "target": {"type": "AverageValue", "averageValue": 5}}}]}})
    with pytest.raises(PolicyError, match="give a query"):
        policy.spec.metrics[0].promql("gateway")


def test_it_takes_a_predictive_section_with_defaults():
    rps = {"type": "Pods", "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": 20}}}
    policy = validate_policy({**BASE, "spec": {**BASE["spec"], "metrics": [rps], "predictive": {"metric": "rps"}}})
    predictive = policy.spec.predictive
    assert (predictive.mode, predictive.lead_seconds, predictive.history_days, predictive.scales) == (
        "forecastOnly", 300, 14, False)
    assert policy.spec.forecast_metric.name == "rps"
