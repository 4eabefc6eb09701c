"""An SLO's rules applied to the stack's Prometheus: with 10 % of payments' calls failing, the fast-burn alert
fires (windows scaled down thirty-fold: the page's hour becomes two minutes, its five minutes ten seconds), and
the SLO pages and API show the budget burning and the page firing."""
from __future__ import annotations

import time

import httpx
import pytest

from console.rules.apply import apply_slos, snapshot
from console.rules.prom import RulesApi
from console.rules.slo import FAST_BURN, FILE_PREFIX, Slo
from kit import browser_page, eventually, failing_shop, log_in, payments_fault, serving

pytestmark = pytest.mark.stack

SCALE = 1 / 30


def firing(prometheus_url: str, alert: str, slo: str) -> list[dict]:
    alerts = httpx.get(f"{prometheus_url}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
    return [a for a in alerts if a["labels"]["alertname"] == alert and a["labels"].get("slo") == slo
            and a["state"] == "firing"]


DEFINITION = """slos:
- name: payments-test
  service: payments
  objective: 99.5
  window: 30d
"""


def test_ten_percent_errors_fire_the_fast_burn_page(stack, make_app, tmp_path, artifacts):
    objective = Slo(name="payments-test", service="payments", objective=99.5)
    (tmp_path / "slo").mkdir()
    (tmp_path / "slo" / "shop.yml").write_text(DEFINITION)
    app = make_app(SLO_DIR=str(tmp_path / "slo"), BACKEND_TIMEOUT=10)
    api = RulesApi(stack.prometheus_url, timeout=15)
    try:
        apply_slos([objective], stack.layout.rules, api, scale=SCALE)
        assert list(snapshot(stack.layout.rules, FILE_PREFIX)) == ["opsconsole_slo-payments-test.yml"]
        with failing_shop(stack, error_rate=0.0, seconds=240):
            # an earlier test's errors may still fill the scaled windows: the page must first be quiet, so that
            # it is this fault that fires it
            eventually(lambda: not firing(stack.prometheus_url, FAST_BURN, "payments-test"), timeout=120,
                       interval=1, what="the fast-burn alert quiet before the fault")
            payments_fault(stack, "--error-rate", "0.1")
            faulted = time.time()
            [alert] = eventually(lambda: firing(stack.prometheus_url, FAST_BURN, "payments-test"), timeout=150,
                                 interval=1, what="the fast-burn alert firing")
            print(f"\nslo: 10 % errors -> {FAST_BURN} firing after {time.time() - faulted:.0f} s"
                  f" (windows scaled by 1/30)")
            assert alert["labels"]["severity"] == "page" and alert["labels"]["service"] == "payments"

            def ratio(window: str) -> float:
                found = httpx.get(f"{stack.prometheus_url}/api/v1/query", timeout=10, params={
                    "query": f'slo:sli_error:ratio_rate{window}{{slo="payments-test"}}'}).json()["data"]["result"]
                return float(found[0]["value"][1]) if found else 0.0

            # one of the page's pairs is over its threshold: 14.4 or 6 times the budget of 0.5 % (scaled windows)
            ratios = {w: ratio(w) for w in ("10s", "1m", "2m", "12m")}
            assert (min(ratios["2m"], ratios["10s"]) > 0.072 or min(ratios["12m"], ratios["1m"]) > 0.03), ratios

            # the pages and the API measure the unscaled windows from the events: the errors of the last hour
            # come faster than the budget allows
            viewer = log_in(app)
            [listed] = viewer.get("/api/v1/slos").json["items"]
            assert FAST_BURN in listed["firing"] and listed["burn_rates"]["1h"] > 1, listed
            assert listed["budget_left"] < 1 and 0.5 < listed["sli"] < 1
            page = viewer.get("/slos/payments-test").get_data(as_text=True)
            assert FAST_BURN in page and "Generated rules" in page
            with serving(app) as url, browser_page(url, "charlie") as browser:
                browser.goto(f"{url}/slos")
                browser.locator("tr[data-slo='payments-test'] .pill-down").first.wait_for()
                browser.screenshot(path=artifacts / "slo-1-list.png", full_page=True)
                browser.locator("tr[data-slo='payments-test'] a").click()
                browser.locator("td.over").first.wait_for()
                browser.screenshot(path=artifacts / "slo-2-detail.png", full_page=True)
    finally:
        apply_slos([], stack.layout.rules, api)
        api.close()
