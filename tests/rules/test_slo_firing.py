"""An SLO's rules applied to the stack's Prometheus: with 10 % of payments' calls failing, the fast-burn alert
fires (windows scaled down thirty-fold: the page's hour becomes two minutes, its five minutes ten seconds)."""
from __future__ import annotations

import time

import httpx
import pytest

from console.rules.apply import apply_slos, snapshot
from console.rules.prom import RulesApi
from console.rules.slo import FAST_BURN, FILE_PREFIX, Slo
from kit import eventually, failing_shop

pytestmark = pytest.mark.stack

SCALE = 1 / 30


def firing(prometheus_url: str, alert: str, slo: str) -> list[dict]:
    alerts = httpx.get(f"{prometheus_url}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
    return [a for a in alerts if a["labels"]["alertname"] == alert and a["labels"].get("slo") == slo
            and a["state"] == "firing"]


def test_ten_percent_errors_fire_the_fast_burn_page(stack):
    objective = Slo(name="payments-test", service="payments", objective=99.5)
    api = RulesApi(stack.prometheus_url, timeout=15)
    try:
        apply_slos([objective], stack.layout.rules, api, scale=SCALE)
        assert list(snapshot(stack.layout.rules, FILE_PREFIX)) == ["opsconsole_slo-payments-test.yml"]
        with failing_shop(stack, error_rate=0.1, seconds=180):
            faulted = time.time()
            [alert] = eventually(lambda: firing(stack.prometheus_url, FAST_BURN, "payments-test"), timeout=150,
                                 interval=1, what="the fast-burn alert firing")
            print(f"\nslo: 10 % errors -> {FAST_BURN} firing after {time.time() - faulted:.0f} s"
                  f" (windows scaled by 1/30)")
            assert alert["labels"]["severity"] == "page" and alert["labels"]["service"] == "payments"
            recorded = httpx.get(f"{stack.prometheus_url}/api/v1/query", timeout=10, params={
                "query": 'slo:sli_error:ratio_rate2m{slo="payments-test"}'}).json()["data"]["result"]
            # 14.4 times the budget of 0.5 %: the two-minute (scaled hour) error ratio is past 7.2 %
            assert float(recorded[0]["value"][1]) > 0.072
    finally:
        apply_slos([], stack.layout.rules, api)
        api.close()
