"""What Prometheus runs, parsed from a real ``/api/v1/rules`` answer: each rule's state and active alerts."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from console.rules.prom import parse_rule_groups

FIXTURES = Path(__file__).parent.parent / "fixtures" / "prometheus"


def test_it_reads_each_rules_active_alerts_longest_active_first():
    [group] = parse_rule_groups(json.loads((FIXTURES / "rules_shop_firing.json").read_text()))
    firing, latency, down = group.rules
    assert (firing.name, firing.state, firing.active) == ("ShopHighErrorRate", "firing", 2)
    assert [a.labels["service"] for a in firing.alerts] == ["orders", "payments"]  # same start: by labels
    orders = firing.alerts[0]
    assert orders.state == "firing" and orders.value == 0.33788395904436863
    assert orders.active_at == datetime(2026, 12, 2, 16, 43, 5, 998195, tzinfo=timezone.utc)
    assert (latency.active, latency.alerts, down.state) == (0, (), "inactive")


def test_it_keeps_an_alert_whose_value_or_time_it_cannot_read():
    body = {"status": "success", "data": {"groups": [{"name": "g", "rules": [{"name": "R", "state": "pending", "alerts": [
        {"labels": {"a": "2"}, "state": "pending", "activeAt": "2026-12-02T16:43:06Z", "value": "NaN?"},
        {"labels": {"a": "1"}, "state": "pending", "activeAt": None, "value": "1e+00"},
        {"labels": {"a": "3"}, "state": "pending", "activeAt": "2026-12-02T16:43:05.5Z", "value": "2"}]}]}]}}
    [group] = parse_rule_groups(body)
    assert [(a.labels["a"], a.value) for a in group.rules[0].alerts] == [("3", 2.0), ("2", None), ("1", 1.0)]
