"""The rule model, and its YAML form: validation, canonical durations, and byte-identical round trips."""
from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from console.errors import UsageProblem
from console.rules.duration import canonical, parse_duration
from console.rules.model import Rule
from console.rules.render import parse_groups, render_groups, render_rule

SHIPPED = Path(__file__).resolve().parents[2] / "rules" / "alerts"


def rule(**fields) -> Rule:
    return Rule.model_validate({"group": "g", "alert": "A", "expr": "up == 0", **fields})


@pytest.mark.parametrize("text, seconds, spelled", [
    pytest.param("0", 0, "0s", id="bare zero"),
    pytest.param("90s", 90, "1m30s", id="seconds carry into minutes"),
    pytest.param("90m", 5400, "1h30m", id="minutes carry into hours"),
    pytest.param("7d", 604800, "1w", id="days carry into weeks"),
    pytest.param("1500ms", 1.5, "1s500ms", id="milliseconds"),
])
def test_it_reads_prometheus_durations(text, seconds, spelled):
    assert parse_duration(text) == seconds
    assert canonical(text) == spelled


@pytest.mark.parametrize("fields, where", [
    pytest.param({"for": "1x"}, "for", id="unknown duration unit"),
    pytest.param({"keep_firing_for": "1.5m"}, "keep_firing_for", id="fractional duration"),
    pytest.param({"labels": {"1bad": "x"}}, "labels", id="label name starting with a digit"),
    pytest.param({"annotations": {"has-dash": "x"}}, "annotations", id="annotation name with a dash"),
    pytest.param({"alert": "High Errors"}, "alert", id="alert name with a space"),
    pytest.param({"group": "../etc"}, "group", id="group name that is a path"),
    pytest.param({"expr": "   "}, "expr", id="blank expression"),
    pytest.param({"severity": "page"}, "severity", id="unknown field"),
])
def test_it_refuses_a_malformed_rule_naming_the_field(fields, where):
    with pytest.raises(ValidationError) as caught:
        rule(**fields)
    assert caught.value.errors()[0]["loc"][0] == where


def test_it_keeps_for_under_its_prometheus_name():
    spec = rule(**{"for": "300s"}).spec()
    assert spec["for"] == "5m" and "for_" not in spec


def test_it_leaves_zero_durations_and_empty_maps_out_of_the_yaml():
    assert render_rule(rule()) == "alert: A\nexpr: up == 0\n"


def test_it_writes_labels_in_name_order_whatever_the_input_order():
    assert render_rule(rule(labels={"team": "shop", "severity": "page"})) == render_rule(
        rule(labels={"severity": "page", "team": "shop"}))


def test_it_round_trips_the_shipped_rules_byte_for_byte():
    for path in SHIPPED.glob("*.yml"):
        text = path.read_text()
        assert render_groups(parse_groups(text)) == text, path


def test_it_round_trips_multi_line_expressions_and_quotes():
    rules = [rule(expr='sum(rate(x{a="b\'c"}[5m]))\n  / sum(rate(y[5m])) > 0.1', annotations={"summary": "it's {{ $value }}: \"quoted\""}),
             rule(group="h", alert="B", **{"for": "1h30m"}, keep_firing_for="5m")]
    text = render_groups(rules)
    assert parse_groups(text) == rules
    assert render_groups(parse_groups(text)) == text


@pytest.mark.parametrize("text, message", [
    pytest.param("groups: [", "not valid YAML", id="broken yaml"),
    pytest.param("rules: []", "list under 'groups'", id="no groups"),
    pytest.param("groups:\n- name: g\n  rules:\n  - record: x\n    expr: up", "only alerting rules", id="recording rule"),
    pytest.param("groups:\n- name: g\n  interval: 1m\n  rules: []", "unsupported field(s) interval", id="group option"),
    pytest.param("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    for: 5x", "groups[0].rules[0].for",
                 id="bad duration names its place"),
])
def test_it_refuses_a_malformed_rule_file(text, message):
    with pytest.raises(UsageProblem, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        parse_groups(text, source="f.yml")


def test_it_reads_an_empty_file_as_no_rules():
    assert parse_groups("") == []
