"""``/api/v1/rules`` against the real Prometheus: create, refuse, version, roll back, delete, and fail safely."""
from __future__ import annotations

import pytest
from rulekit import loaded_rules, make_console, shut

pytestmark = pytest.mark.stack

RULE = {"group": "apitest", "alert": "PrometheusSelfDown", "expr": 'up{job="prometheus"} == 0', "for": "10s",
        "labels": {"severity": "ticket"}, "annotations": {"summary": "{{ $labels.instance }} is down"}}


def ours(prometheus_url: str, group: str) -> list[list[str]]:
    return [alerts for _, name, alerts in loaded_rules(prometheus_url) if name == group]


def test_it_applies_a_created_rule_to_prometheus(console, stack):
    answer = console.client.post("/api/v1/rules", json={**RULE, "reason": "watch ourselves"}, headers=console.operator)
    assert answer.status_code == 201, answer.json
    assert answer.json["version"] == 1 and answer.json["for"] == "10s"
    assert ours(stack.prometheus_url, "apitest") == [["PrometheusSelfDown"]]
    listed = console.client.get("/api/v1/rules", headers=console.viewer).json["items"]
    assert [(r["group"], r["alert"]) for r in listed] == [("apitest", "PrometheusSelfDown")]


@pytest.mark.parametrize("change, field, text", [
    pytest.param({"expr": "sum(up"}, "expr", "unclosed left parenthesis", id="bad promql"),
    pytest.param({"annotations": {"summary": "{{ $labels.instance"}}, "annotations.summary", "unclosed action",
                 id="bad template"),
    pytest.param({"expr": "rate(prometheus_tsdb_head_series[1m]) > 0"}, "expr", "gauge", id="rate over a gauge"),
])
def test_it_refuses_an_invalid_rule_and_leaves_prometheus_as_it_was(console, stack, change, field, text):
    before = loaded_rules(stack.prometheus_url)
    answer = console.client.post("/api/v1/rules", json={**RULE, **change}, headers=console.operator)
    assert answer.status_code == 422, answer.json
    assert answer.json["error"] == "invalid_rule"
    assert any(p["field"] == field and text in p["message"] for p in answer.json["detail"]), answer.json
    assert loaded_rules(stack.prometheus_url) == before
    assert console.client.get("/api/v1/rules", headers=console.viewer).json["items"] == []


def test_it_refuses_an_unknown_duration_with_the_field(console):
    answer = console.client.post("/api/v1/rules", json={**RULE, "for": "5x"}, headers=console.operator)
    assert answer.status_code == 422
    assert answer.json["detail"][0]["loc"] == ["for"]


def test_it_reports_warnings_from_the_live_checks(console):
    rule = {**RULE, "expr": "no_such_metric_total > 1", "for": "1s",
            "annotations": {"summary": "{{ $labels.pod }}"}}
    answer = console.client.post("/api/v1/rules/validate", json=rule, headers=console.viewer)
    assert answer.status_code == 200, answer.json
    messages = [(p["field"], p["message"]) for p in answer.json["problems"]]
    assert ("expr", "metric no_such_metric_total has no series in the last 6h") in messages
    assert any(field == "for" and "shorter than the evaluation interval" in m for field, m in messages)
    assert any("would not have fired" in m for _, m in messages)


def test_it_versions_rolls_back_and_deletes(console, stack):
    client = console.client
    rule_id = client.post("/api/v1/rules", json=RULE, headers=console.operator).json["id"]
    changed = client.put(f"/api/v1/rules/{rule_id}", json={**RULE, "for": "30s", "reason": "less noise"},
                         headers=console.operator)
    assert changed.status_code == 200 and changed.json["version"] == 2
    history = client.get(f"/api/v1/rules/{rule_id}/history", headers=console.viewer).json["items"]
    assert [(v["version"], v["reason"]) for v in history] == [(1, ""), (2, "less noise")]
    assert "-for: 10s\n+for: 30s\n" in history[1]["diff"]
    assert history[1]["actor"] == "token:operator"

    rolled = client.post(f"/api/v1/rules/{rule_id}/rollback", json={"version": 1}, headers=console.operator)
    assert rolled.status_code == 200 and (rolled.json["version"], rolled.json["for"]) == (3, "10s")

    assert client.delete(f"/api/v1/rules/{rule_id}", headers=console.operator).status_code == 204
    assert ours(stack.prometheus_url, "apitest") == []
    assert client.get(f"/api/v1/rules/{rule_id}", headers=console.viewer).status_code == 404
    history = client.get(f"/api/v1/rules/{rule_id}/history", headers=console.viewer).json["items"]
    assert [v["spec"] is None for v in history] == [False, False, False, True]


def test_it_lets_viewers_read_but_not_change(console):
    assert console.client.post("/api/v1/rules", json=RULE, headers=console.viewer).status_code == 403
    assert console.client.get("/api/v1/rules", headers=console.viewer).status_code == 200


def test_it_restores_the_previous_files_when_prometheus_is_down(own_prometheus, stack, tmp_path):
    others = {"ALERTMANAGER_URL": stack.alertmanager_url, "ELASTICSEARCH_URL": stack.elasticsearch_url,
              "JAEGER_URL": stack.jaeger_url}
    made = make_console(tmp_path, own_prometheus.url, others, RULES_DIR=str(own_prometheus.rules))
    try:
        client = made.client
        assert client.post("/api/v1/rules", json=RULE, headers=made.operator).status_code == 201
        good = {p.name: p.read_text() for p in own_prometheus.rules.glob("*.yml")}

        own_prometheus.stop()
        second = {**RULE, "alert": "SecondRule"}
        answer = client.post("/api/v1/rules", json=second, headers=made.operator)
        assert answer.status_code == 503, answer.json
        assert answer.json["error"] == "rules_not_applied"
        assert {p.name: p.read_text() for p in own_prometheus.rules.glob("*.yml")} == good
        assert [r["alert"] for r in client.get("/api/v1/rules", headers=made.viewer).json["items"]] == [RULE["alert"]]

        own_prometheus.start()
        assert [(name, alerts) for _, name, alerts in loaded_rules(own_prometheus.url)] == [("apitest", [RULE["alert"]])]
    finally:
        shut(made)
