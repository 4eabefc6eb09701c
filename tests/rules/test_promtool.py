"""promtool on a rendered rule, its messages mapped back to the rule's fields."""
from __future__ import annotations

import pytest

from console.rules.model import Rule
from console.rules.promtool import check_rules, field_of, parse_output


def rule(**fields) -> Rule:
    return Rule.model_validate({"group": "g", "alert": "A", "expr": "up == 0", **fields})


@pytest.mark.parametrize("message, field", [
    pytest.param('annotation "summary": template: __alert_A:1: unclosed action', "annotations.summary", id="annotation"),
    pytest.param('label "severity": template: __alert_A:1: unclosed action', "labels.severity", id="label"),
    pytest.param("could not parse expression: 1:5: parse error: unclosed left parenthesis", "expr", id="expression"),
    pytest.param("something else entirely", "rule", id="unknown: the whole rule"),
])
def test_it_maps_a_message_to_a_field(message, field):
    assert field_of(message) == field


def test_it_strips_the_file_and_group_from_promtool_output():
    output = ('Checking /tmp/x/check.yml\n  FAILED:\n'
              '/tmp/x/check.yml: 7:11: group "g", rule 1, "A": could not parse expression: 1:5: parse error: oops\n')
    [problem] = parse_output(output)
    assert (problem.field, problem.severity, problem.message) == (
        "expr", "error", "could not parse expression: 1:5: parse error: oops")


def test_it_passes_a_valid_rule():
    assert check_rules([rule(**{"for": "1m"}, annotations={"summary": "{{ $labels.job }} is {{ $value }}"})]) == []


@pytest.mark.parametrize("fields, field, text", [
    pytest.param({"expr": "sum(up"}, "expr", "unclosed left parenthesis", id="bad promql"),
    pytest.param({"expr": "rate(up[5m)"}, "expr", "parse error", id="bad range"),
    pytest.param({"annotations": {"summary": "{{ $labels.job"}}, "annotations.summary", "unclosed action",
                 id="bad annotation template"),
    pytest.param({"labels": {"severity": "{{ nosuchfunc }}"}}, "labels.severity", "function \"nosuchfunc\"",
                 id="unknown template function"),
])
def test_it_reports_what_promtool_refuses(fields, field, text):
    problems = check_rules([rule(**fields)])
    assert [p.field for p in problems] == [field]
    assert text in problems[0].message
