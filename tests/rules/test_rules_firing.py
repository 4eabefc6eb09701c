"""A rule created through the API fires against the shop with injected errors and reaches Alertmanager."""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from kit import eventually
from kit import failing_shop as shop_failing

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def failing_shop(stack) -> Iterator[object]:
    """The shop under checkout load, payments failing half its calls."""
    with shop_failing(stack, error_rate=0.5) as shop:
        yield shop


def alertmanager_alerts(url: str, marker: str) -> list[dict]:
    answer = httpx.get(f"{url}/api/v2/alerts", params={"filter": f'test_run="{marker}"'}, timeout=10)
    return answer.json() if answer.status_code == 200 else []


def test_it_fires_against_the_shop_and_reaches_alertmanager(console, failing_shop):
    marker = uuid.uuid4().hex[:12]
    rule = {"group": "firing", "alert": "PaymentsFailing", "for": "4s",
            # a minute's window: orders' circuit breaker cuts payments off for seconds at a time, and a
            # shorter window would make the condition flicker between evaluations
            "expr": 'sum(rate(http_requests_total{service="payments",status=~"5.."}[1m])) > 0',
            "labels": {"severity": "page", "test_run": marker},
            "annotations": {"summary": "payments fails {{ $value }} requests a second"}}
    answer = console.client.post("/api/v1/rules", json=rule, headers=console.operator)
    assert answer.status_code == 201, answer.json
    created_at = time.time()

    [alert] = eventually(lambda: alertmanager_alerts(failing_shop.alertmanager_url, marker), timeout=60,
                       what="the alert in Alertmanager")
    assert alert["labels"]["alertname"] == "PaymentsFailing"
    assert alert["annotations"]["summary"].startswith("payments fails ")

    # the backtest over the same minutes sees the same alert firing; it evaluates on a grid of its own
    # (the window's start, every evaluation interval), which may lag Prometheus' own evaluations by up to
    # one interval: let the window run a few intervals past the firing
    time.sleep(3 * 2)
    rule_id = answer.json["id"]
    result = console.client.post(f"/api/v1/rules/{rule_id}/backtest?start={created_at - 30:.0f}&end={time.time():.0f}",
                                 headers=console.viewer)
    assert result.status_code == 200, result.json
    assert result.json["count"] >= 1 and result.json["threshold"] == 0.0, str({k: v for k, v in result.json.items() if k != "chart"})
    assert result.json["chart"]
