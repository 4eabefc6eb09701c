"""Autoscaling end to end on the real stack: a step of load through nginx, the loop's own ticks scaling the local
gateway replicas out and, after the scale-down window, back in while the load goes on; then the target page in a
real browser (Debian's Chromium) charting the spike, the scale events and the replica line.

One run serves every test of the module: base load for the whole run, a burst on top of it in the middle.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from console import create_app, store
from console.backends import close_backends
from console.correlate.window import iso
from console.scaling.loop import Loop
from kit import SCRAPE_SECONDS, browser_page, log_in, serving
from sample_services.loadgen import LoadSummary, run_load

pytestmark = pytest.mark.stack

PERIOD = 2.0  # the loop's period here; the stack scrapes every SCRAPE_SECONDS
DOWN_WINDOW = 10  # scaleDown.stabilizationWindowSeconds
# irate of the last two scrapes, so no rate window stands between the step and the decision
POLICY = f"""
apiVersion: opsconsole/v1
kind: ScalingPolicy
metadata: {{name: gateway}}
spec:
  scaleTargetRef: {{kind: Service, name: gateway}}
  minReplicas: 1
  maxReplicas: 3
  metrics:
    - type: Pods
      pods:
        metric: {{name: http_requests_per_second}}
        query: sum by (replica) (irate(http_requests_total{{service="gateway"}}[10s]))
        target: {{type: AverageValue, averageValue: "8"}}
  behavior:
    scaleUp: {{stabilizationWindowSeconds: 0, policies: [{{type: Pods, value: 2, periodSeconds: 10}}]}}
    scaleDown: {{stabilizationWindowSeconds: {DOWN_WINDOW}, policies: [{{type: Pods, value: 1, periodSeconds: 4}}]}}
"""
BASE_RPS, BASE_SECONDS = 4, 50  # half a replica's worth, for the whole run
BURST_RPS, BURST_AT, BURST_SECONDS = 40, 8, 12  # on top: five replicas' worth, capped at three


@dataclass
class Action:
    """A scale action the loop applied: from -> to, when its tick began and how long it took."""

    from_replicas: int
    to_replicas: int
    at: float  # time.monotonic() when the tick began
    tick_seconds: float


@dataclass
class SpikeRun:
    url: str
    began: datetime
    step_at: float  # time.monotonic() when the burst began
    burst_end: float
    base_end: float
    actions: list[Action]
    base: LoadSummary
    burst: LoadSummary


def timed_load(rps: float, seconds: float, url: str, out: dict, key: str) -> None:
    out[f"{key}_at"] = time.monotonic()
    out[key] = run_load(url, "steady", rps, seconds)
    out[f"{key}_end"] = time.monotonic()


@pytest.fixture(scope="module")
def spike(shop, backend_urls, tmp_path_factory) -> Iterator[SpikeRun]:
    """The console over real HTTP after the loop scaled the gateway for a burst of load and back."""
    home = tmp_path_factory.mktemp("spike")
    (home / "policies").mkdir()
    (home / "policies" / "gateway.yml").write_text(POLICY)
    app = create_app({"TESTING": True, "BACKEND_TIMEOUT": 2, "SECRET_KEY": "test", **backend_urls,
                      "DATABASE_URL": f"sqlite:///{home / 'console.db'}", "SCALING_HOME": str(shop.layout.home),
                      "SCALING_POLICIES_DIR": str(home / "policies")})
    loop = Loop(app, period=PERIOD, holder="e2e")
    began = datetime.now(UTC)
    loads: dict = {}
    base = threading.Thread(target=timed_load, args=(BASE_RPS, BASE_SECONDS, shop.gateway_url, loads, "base"))
    burst = threading.Thread(target=lambda: (time.sleep(BURST_AT),
                                             timed_load(BURST_RPS, BURST_SECONDS, shop.gateway_url, loads, "burst")))
    base.start()
    burst.start()
    actions: list[Action] = []
    start = time.monotonic()
    deadline = start + BASE_SECONDS + 30
    # tick every period on a fixed cadence, as the scheduler does, until the load is over and the gateway is at one
    for n in range(int((deadline - start) / PERIOD)):
        tick_at = time.monotonic()
        actions += [Action(r.from_replicas, r.to_replicas, tick_at, time.monotonic() - tick_at)
                    for r in loop.tick(datetime.now(UTC))]
        if not base.is_alive() and actions and actions[-1].to_replicas == 1:
            break
        time.sleep(max(0.0, start + (n + 1) * PERIOD - time.monotonic()))
    base.join(timeout=30)
    burst.join(timeout=30)
    log_in(app, "operator", name="vera")
    try:
        with serving(app) as url:
            yield SpikeRun(url, began, loads["burst_at"], loads["burst_end"], loads["base_end"], actions,
                           loads["base"], loads["burst"])
    finally:
        close_backends(app)
        store.get_engine(app).dispose()


def failed(summary: LoadSummary) -> dict[str, int]:
    """The answers that count as failures: 5xx and requests that got no answer at all (no 4xx business answers)."""
    return {k: n for k, n in summary.errors.items() if not k.isdigit() or k.startswith("5")}


def test_it_scales_out_within_a_scrape_a_period_and_the_start_up_of_the_step(spike):
    ups = [a for a in spike.actions if a.to_replicas > a.from_replicas]
    assert ups and ups[0].from_replicas == 1 and max(a.to_replicas for a in ups) == 3, spike.actions
    reached = next(a for a in ups if a.to_replicas == 3)
    startup = sum(a.tick_seconds for a in ups if a.at <= reached.at)
    took = reached.at + reached.tick_seconds - spike.step_at
    floor = SCRAPE_SECONDS + PERIOD + startup
    print(f"1 -> 3 replicas {took:.1f} s after the step; floor {floor:.1f} s "
          f"(scrape {SCRAPE_SECONDS:.0f} s + period {PERIOD:.0f} s + replica start-up {startup:.1f} s)")
    # The scrape after the step may carry only part of it, and the machine is shared: 1.5 s over the floor.
    assert took <= floor + 1.5


def test_it_scales_back_in_after_the_window_with_no_failed_request(spike):
    downs = [a for a in spike.actions if a.to_replicas < a.from_replicas]
    assert downs and downs[-1].to_replicas == 1, spike.actions
    # the recommendations stay high until a scrape shows the burst over; the window holds them for DOWN_WINDOW s
    assert downs[0].at - spike.burst_end >= DOWN_WINDOW - PERIOD
    # every replica removed while the base load was running, and not one of its requests failed
    assert downs[-1].at + downs[-1].tick_seconds <= spike.base_end, "scale-in outlasted the load"
    print(f"base load: {' / '.join(spike.base.lines())}; burst: {' / '.join(spike.burst.lines())}")
    assert spike.base.sent >= BASE_RPS * BASE_SECONDS * 0.9
    assert failed(spike.base) == {} and failed(spike.burst) == {}


def test_it_charts_the_spike_the_scale_events_and_the_replica_line(spike, artifacts):
    acted = [(a.from_replicas, a.to_replicas) for a in spike.actions]
    start, end = spike.began - timedelta(seconds=20), datetime.now(UTC) + timedelta(seconds=5)
    span = f"range=custom&start={iso(start)}&end={iso(end)}"
    url = spike.url
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
        # the spike: the burst on top of the base, more than two replicas' worth
        assert max(v for v in chart["load"] if v is not None) > 16
        assert [m["label"] for m in chart["marks"]] == [f"{a}→{b}" for a, b in acted]
        assert max(n for n in chart["replicas"] if n is not None) == 3
        rows = page.locator("table.records tr[data-record]")
        expect(rows).to_have_count(len(acted))
        expect(rows.first).to_contain_text("→ 1")
        expect(page.locator("pre.policy")).to_contain_text("maxReplicas: 3")
        assert page.locator(".banner-down").count() == 0
        page.screenshot(path=artifacts / "scaling-2-target.png", full_page=True)
        # the README's picture, as large as the other tour images: the figures, the chart and the metrics now
        page.screenshot(path=artifacts / "scaling-tour.png", clip={"x": 0, "y": 0, "width": 1280, "height": 860})

        # the policy editor: a bad bound is named as you type; fixed, the check shows the metric now; saved, version 2
        page.get_by_role("link", name="edit").click()
        editor = page.locator("textarea[name=document]")
        text = editor.input_value()
        editor.fill(text.replace("maxReplicas: 3", "maxReplicas: 0"))
        expect(page.locator("#policy-check")).to_contain_text("spec.maxReplicas")
        page.screenshot(path=artifacts / "scaling-3-policy-problem.png", full_page=True)
        editor.fill(text.replace("maxReplicas: 3", "maxReplicas: 4"))
        expect(page.locator("#policy-check")).to_contain_text("Valid.")
        expect(page.locator("#policy-check tr[data-metric='http_requests_per_second']")).to_be_visible()
        page.screenshot(path=artifacts / "scaling-4-policy-valid.png", full_page=True)
        page.get_by_role("button", name="Save as version 2").click()
        expect(page.locator(".banner.saved")).to_contain_text("Policy saved: version 2")
        expect(page.locator("pre.policy")).to_contain_text("maxReplicas: 4")
