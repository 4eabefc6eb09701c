"""An SRE's path in a real browser (Debian's Chromium): 30 % errors injected on payments → the overview lists
payments first → its page, zoomed on the last two minutes → a click on an exemplar dot of a failed request →
the failing span and its log line → the logs of that trace.

Exemplars do not say whether their request failed, so the test asks the console's API which of the dots'
traces failed, finds that dot's position through the chart, and clicks there.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from dashkit import bearer, log_in
from kit import browser_page, serving
from kit import failing_shop as kit_failing_shop

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def failing_shop(stack) -> Iterator[object]:
    """The shop with 30 % of payments failing, under steady checkouts for the whole module."""
    with kit_failing_shop(stack, error_rate=0.3, seconds=240) as shop:
        yield shop


@pytest.fixture
def console_url(make_app, failing_shop):
    """The console over real HTTP, with charlie (a viewer), once payments tops the overview and every service
    has a sparkline (two points of its rate: the module's shop may have started seconds ago)."""
    app = make_app()
    headers = bearer(app)
    client = app.test_client()
    viewer = log_in(app)  # creates charlie
    deadline = time.monotonic() + 90
    while True:
        services = client.get("/api/v1/services?range=15m", headers=headers).json.get("services", [])
        report = client.get("/api/v1/correlate?service=payments&range=15m", headers=headers).json
        failing = next((s["items"] for s in report.get("sections", []) if s["key"] == "failing"), [])
        sparklines = viewer.get("/services?range=15m").get_data(as_text=True).count("<polyline")
        if (services and services[0]["name"] == "payments" and (services[0]["own_error_ratio"] or 0) > 0.1
                and failing and sparklines >= len(services) >= 5):
            break
        assert time.monotonic() < deadline, \
            f"payments not first with failing traces and {sparklines} sparklines within 90 s: {services}"
        time.sleep(1)
    with serving(app) as url:
        yield url


def zoom_on_the_last_minutes(page, seconds: int = 120) -> None:
    """Set the service page's range to the last ``seconds`` with its picker, as an SRE zooms in: over fifteen
    minutes, each scrape's dots lie a pixel apart, and the failed requests (the fault fails them fast) all
    along the chart's bottom edge."""
    end = datetime.now(timezone.utc).replace(microsecond=0)
    page.fill("form.range input[name=start]", (end - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    page.fill("form.range input[name=end]", end.strftime("%Y-%m-%dT%H:%M:%SZ"))
    page.click("form.range button[value=custom]")
    page.wait_for_selector("#chart-latency canvas")


def _clear_failed_dot(page, console_url: str) -> tuple[tuple[str, dict] | None, str]:
    """One look at the chart: an exemplar dot of a request that failed in payments, clear of other dots (its trace
    id and position), or None; and what was seen.

    Whether a dot's request failed is asked of the console's API, with the browser's own session.
    """
    ids = page.evaluate('JSON.parse(document.getElementById("chart-data").textContent).trace_ids.filter(Boolean)')
    failed = []
    for trace_id in reversed(ids[-40:]):  # the newest first
        body = page.context.request.get(f"{console_url}/api/v1/traces/{trace_id}").json()
        if any(s["error"] and s["service"] == "payments" for s in body.get("spans", [])):
            failed.append(trace_id)
    found, where = page.evaluate("""(failed) => {
        const u = window.opsCharts.latency, d = JSON.parse(document.getElementById("chart-data").textContent);
        const w = u.over.clientWidth, h = u.over.clientHeight;
        const dots = d.trace_ids.map((id, i) => id && {id, t: d.x[i], x: u.valToPos(d.x[i], "x"),
                                                       y: u.valToPos(d.exemplars[i], "y")}).filter(Boolean);
        // a request of the last seconds may have its trace in Jaeger before its log line is searchable
        const settled = (a) => a.t <= Date.now() / 1000 - 8;
        // where to click for a dot: its centre, or the nearest point inside the plot when the centre is on its
        // edge (the fastest requests lie on the bottom, the newest on the right): a click beside the plot is lost
        const at = (a) => ({x: Math.min(Math.max(a.x, 1), w - 1), y: Math.min(Math.max(a.y, 1), h - 1)});
        // the click opens the dot nearest it: every other dot must be clearly farther (clicks land on whole pixels)
        const opens = (a) => {
            const c = at(a), own = Math.hypot(a.x - c.x, a.y - c.y);
            return own <= 6 && dots.every((b) => b === a || Math.hypot(b.x - c.x, b.y - c.y) > own + 3);
        };
        const dot = dots.find((a) => failed.includes(a.id) && settled(a) && opens(a));
        const where = dots.filter((a) => failed.includes(a.id)).map((a) => `(${Math.round(a.x)},${Math.round(a.y)})`);
        return [dot ? [dot.id, at(dot)] : null, `${where.join(" ")} in ${w}x${h}`];
    }""", failed)
    seen = f"{len(failed)} failed of {len(ids)}: {where}"
    return (found[0], found[1]) if found is not None else None, seen


def failed_exemplar_dot(page, console_url: str) -> tuple[str, dict]:
    """An exemplar dot of a failed payments request that a click can hit, on the chart of the last two minutes;
    the checkouts go on, so when every such dot lies on another, the same zoom a little later brings new ones."""
    deadline = time.monotonic() + 60
    while True:
        zoom_on_the_last_minutes(page)
        found, seen = _clear_failed_dot(page, console_url)
        if found is not None:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"no exemplar dot of a failed payments request stands clear ({seen})")
        time.sleep(3)


def test_it_walks_from_the_overview_to_the_logs_of_a_failing_trace(console_url, artifacts):
    with browser_page(console_url, "charlie", height=900) as page:
        page.goto(f"{console_url}/services?range=15m")
        expect(page.locator("#service-rows tr").first.locator("td").first).to_have_text("payments")
        page.screenshot(path=artifacts / "sre-1-overview.png", full_page=True)

        assert page.locator("#service-rows svg.spark polyline").count() >= 5  # a sparkline per service
        page.locator("#service-rows a", has_text="payments").click()
        expect(page.locator("h1")).to_have_text("payments")
        page.wait_for_selector("#chart-latency canvas")
        expect(page.locator("#routes")).to_contain_text("/payments/authorize")
        page.screenshot(path=artifacts / "sre-2-service.png", full_page=True)

        trace_id, at = failed_exemplar_dot(page, console_url)
        page.locator("#chart-latency .u-over").click(position=at)
        expect(page.locator("h1 code")).to_have_text(trace_id)
        # payments' own span, named so in its summary (orders' client span calls the same URL)
        failed_span = page.locator("details.span.error").filter(
            has=page.locator("summary .label", has_text="payments POST /payments/authorize"))
        expect(failed_span.first).to_be_visible()
        expect(failed_span.first.locator("table.lines")).to_contain_text("injected fault")
        page.screenshot(path=artifacts / "sre-3-trace.png", full_page=True)

        page.click("text=All log lines of this trace")
        expect(page.locator("form.filters input[name=trace_id]")).to_have_value(trace_id)
        expect(page.locator("table.lines")).to_contain_text("injected fault")
        links = page.locator("table.lines td:last-child a")
        assert links.count() > 0 and all(trace_id[:12] in t for t in links.all_inner_texts())
        page.screenshot(path=artifacts / "sre-4-logs.png", full_page=True)


def test_it_finds_a_failed_checkout_through_the_trace_search(console_url, artifacts):
    with browser_page(console_url, "charlie", height=900) as page:
        page.goto(f"{console_url}/traces?range=15m")
        page.select_option("#trace-search select[name=service]", "payments")
        page.fill("#trace-search input[name=operation]", "POST /payments/authorize")
        page.check("#trace-search input[name=failed]")
        page.click("#trace-search button[type=submit]")
        rows = page.locator("#traces tbody tr")
        # the newest traces may still lack spans their services have not sent yet: their root is the earliest
        # span received, so only the services that took part are certain
        expect(rows.first).to_contain_text("payments")
        assert rows.count() == rows.filter(has_text="error").count() > 0  # failed only
        page.screenshot(path=artifacts / "traces-search.png", full_page=True)

        trace_id = rows.first.locator("a").get_attribute("href").split("/traces/")[1].split("?")[0]
        rows.first.locator("a").click()
        expect(page.locator("h1 code")).to_have_text(trace_id)
        expect(page.locator("details.span.error").first).to_be_visible()

        # the same trace on a phone: bars under their spans' names, the failed spans' events and attributes wrapped
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        expect(page.locator("details.span.error").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=artifacts / "phone-trace.png", full_page=True)


def test_it_charts_time_in_utc_whatever_the_browsers_zone(console_url, artifacts):
    with browser_page(console_url, "charlie", timezone_id="America/New_York") as page:
        page.goto(f"{console_url}/services/payments?range=15m")
        over = page.locator("#chart-rate .u-over")
        box = over.bounding_box()
        over.hover(position={"x": box["width"] / 2, "y": box["height"] / 2})
        legend = page.locator("#chart-rate .u-legend .u-series").first
        expect(legend.locator(".u-label")).to_have_text("UTC")
        shown = datetime.strptime(legend.locator(".u-value").inner_text(), "%Y-%m-%d %H:%M:%S")
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        # the middle of the last 15 minutes, as the tables and the range picker say it: not New York's hour
        assert now - timedelta(minutes=16) < shown < now
        page.screenshot(path=artifacts / "utc-chart.png", full_page=True)
