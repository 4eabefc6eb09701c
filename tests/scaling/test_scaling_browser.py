"""The scaling pages in a real browser (Debian's Chromium), on the real stack: a spike of load through nginx,
the loop's own ticks scaling the local gateway replicas out and back in, then the target page charting the
spike, the scale events and the replica line."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from console.correlate.window import iso
from console.scaling.loop import Loop
from kit import browser_page, log_in, serving
from sample_services.loadgen import run_load

pytestmark = pytest.mark.stack

# a short rate window (the stack scrapes every 2 s) so the replicas follow the spike both ways within the test
POLICY = """
apiVersion: opsconsole/v1
kind: ScalingPolicy
metadata: {name: gateway}
spec:
  scaleTargetRef: {kind: Service, name: gateway}
  minReplicas: 1
  maxReplicas: 3
  metrics:
    - type: Pods
      pods:
        metric: {name: http_requests_per_second}
        query: sum by (replica) (rate(http_requests_total{service="gateway"}[10s]))
        target: {type: AverageValue, averageValue: "8"}
  behavior:
    scaleUp: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 2, periodSeconds: 10}]}
    scaleDown: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 1, periodSeconds: 6}]}
"""
RPS, SECONDS = 6, 45  # 24 requests/s in the middle fifth: three replicas' worth at 8 a replica


@pytest.fixture
def scaled(shop, make_app, tmp_path) -> Iterator[tuple[str, datetime, list]]:
    """The console over real HTTP after a spike the loop scaled for; (base URL, start of the spike run, actions)."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "gateway.yml").write_text(POLICY)
    app = make_app(SCALING_HOME=str(shop.layout.home), SCALING_POLICIES_DIR=str(tmp_path / "policies"))
    loop = Loop(app, period=2.0, holder="browser-test")
    began = datetime.now(UTC)
    load = threading.Thread(target=run_load, args=(shop.gateway_url, "spike", RPS, SECONDS))
    load.start()
    acted = []
    deadline = time.monotonic() + SECONDS + 45
    # tick as the scheduler would, until the spike is over and the loop has brought the gateway back to one
    while time.monotonic() < deadline:
        acted += [(r.from_replicas, r.to_replicas) for r in loop.tick(datetime.now(UTC))]
        if not load.is_alive() and acted and acted[-1][1] == 1:
            break
        time.sleep(2.0)
    load.join(timeout=30)
    log_in(app, name="vera")
    with serving(app) as url:
        yield url, began, acted


def test_it_charts_the_spike_the_scale_events_and_the_replica_line(scaled, artifacts):
    url, began, acted = scaled
    assert acted and max(to for _, to in acted) >= 2 and acted[-1][1] == 1, acted
    start, end = began - timedelta(seconds=20), datetime.now(UTC) + timedelta(seconds=5)
    span = f"range=custom&start={iso(start)}&end={iso(end)}"
    with browser_page(url, "vera") as page:
        page.goto(f"{url}/scaling")
        gateway = page.locator("section[data-target='gateway']")
        expect(gateway.locator(".now strong")).to_have_text("1")
        expect(gateway.locator("tr[data-metric='http_requests_per_second']")).to_be_visible()
        expect(gateway.locator("table.records tr[data-record]").first).to_contain_text("→ 1")
        page.screenshot(path=artifacts / "scaling-1-overview.png", full_page=True)

        gateway.locator("h2 a").click()
        expect(page.locator("h1")).to_have_text("gateway")
        page.goto(f"{page.url}?{span}")
        page.wait_for_selector("#scaling-chart canvas")
        expect(page.locator(".u-legend")).to_contain_text("replicas")
        chart = json.loads(page.locator("#scaling-data").text_content())
        # the spike: four times the base rate, more than two replicas' worth
        assert max(v for v in chart["load"] if v is not None) > 16
        assert [m["label"] for m in chart["marks"]] == [f"{a}→{b}" for a, b in acted]
        assert max(n for n in chart["replicas"] if n is not None) == max(to for _, to in acted)
        rows = page.locator("table.records tr[data-record]")
        expect(rows).to_have_count(len(acted))
        expect(rows.first).to_contain_text("→ 1")
        expect(page.locator("pre.policy")).to_contain_text("maxReplicas: 3")
        assert page.locator(".banner-down").count() == 0
        page.screenshot(path=artifacts / "scaling-2-target.png", full_page=True)
        # the README's picture, as large as the other tour images: the figures, the chart and the metrics now
        page.screenshot(path=artifacts / "scaling-tour.png", clip={"x": 0, "y": 0, "width": 1280, "height": 860})
