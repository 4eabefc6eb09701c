"""The dashboard pages: login required, the range kept in links, and a banner (never a 500) when a backend is down."""
from __future__ import annotations

import re

import pytest

from dashkit import log_in, record_changes, record_incidents

from console.web.dashboard import interval

pytestmark = pytest.mark.stack


@pytest.fixture
def viewer(make_app, seeded):
    return log_in(make_app(LOGS_INDEX=seeded.index))


def alerts(html: str) -> list[str]:
    return re.findall(r'role="alert">([^<]*)', html)


@pytest.mark.parametrize("path", ["/services", "/services/payments", "/traces", "/logs",
                                  "/traces/0123456789abcdef0123456789abcdef"],
                         ids=["overview", "service", "trace search", "logs", "trace"])
def test_it_sends_a_stranger_to_the_login_page(make_app, path):
    answer = make_app().test_client().get(path)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_it_draws_the_waterfall_with_errors_critical_path_and_log_lines(viewer, seeded):
    html = viewer.get(f"/traces/{seeded.trace_id}?range=1h").get_data(as_text=True)
    assert alerts(html) == []
    assert html.count('<details class="span') == 6
    assert html.count('<details class="span error') == 2
    # every span but the cache lookup is on the critical path
    assert len(re.findall(r'<details class="span[^"]*critical', html)) == 5
    assert "payment refused: card declined" in html
    assert f'href="/services/{seeded.payments}?range=custom&amp;start=' in html
    assert f'href="/logs?trace_id={seeded.trace_id}&amp;range=1h"' in html


@pytest.mark.parametrize("down, banner", [("JAEGER_URL", "Spans unavailable"),
                                          ("ELASTICSEARCH_URL", "Log lines unavailable")],
                         ids=["jaeger down", "elasticsearch down"])
def test_it_shows_the_trace_page_with_a_banner_when_a_backend_is_down(make_app, seeded, closed_url, down, banner):
    client = log_in(make_app(LOGS_INDEX=seeded.index, **{down: closed_url}))
    answer = client.get(f"/traces/{seeded.trace_id}")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert [a for a in alerts(html) if a.startswith(banner)]
    # what the other backend knows is still there
    assert ("card declined" in html) if down == "JAEGER_URL" else ("POST /payments/authorize" in html)


@pytest.mark.parametrize("path, banner", [
    ("/services", "Metrics unavailable"), ("/services/payments", "Charts unavailable"),
    ("/logs", "Logs unavailable"),
], ids=["overview", "service page", "logs"])
def test_it_shows_a_page_with_a_banner_when_its_backends_are_down(make_app, closed_url, path, banner):
    client = log_in(make_app(PROMETHEUS_URL=closed_url, ELASTICSEARCH_URL=closed_url, JAEGER_URL=closed_url))
    answer = client.get(path)
    assert answer.status_code == 200
    assert any(a.startswith(banner) for a in alerts(answer.get_data(as_text=True)))


def test_it_shows_the_overview_with_elasticsearch_and_jaeger_down(make_app, closed_url):
    client = log_in(make_app(ELASTICSEARCH_URL=closed_url, JAEGER_URL=closed_url))
    answer = client.get("/services?range=1h")
    assert answer.status_code == 200 and alerts(answer.get_data(as_text=True)) == []


@pytest.mark.parametrize("start, end, shown", [
    ("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z", "2026-12-01 10:00:00 – 11:00:00 UTC"),
    ("2026-11-30T14:00:00Z", "2026-12-01T14:00:00Z", "2026-11-30 14:00:00 – 2026-12-01 14:00:00 UTC"),
], ids=["within a day", "a day long: both dates"])
def test_it_states_the_range_with_its_dates(viewer, start, end, shown):
    html = viewer.get(f"/services?range=custom&start={start}&end={end}").get_data(as_text=True)
    assert f'<span class="hint">{shown}</span>' in html


def test_it_refreshes_the_overview_rows_with_htmx(viewer):
    answer = viewer.get("/services?range=6h", headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "<html" not in answer.get_data(as_text=True)
    assert "HX-Request" in answer.headers["Vary"]
    page = viewer.get("/services?range=6h").get_data(as_text=True)
    assert 'hx-get="/services?range=6h"' in page and 'aria-pressed="true">6h<' in page


def test_it_filters_the_logs_page_and_links_each_trace(viewer, seeded):
    html = viewer.get(f"/logs?range=1h&trace_id={seeded.trace_id}&level=error").get_data(as_text=True)
    assert "2 line(s)" in html
    assert html.count(f'href="/traces/{seeded.trace_id}?range=1h"') == 2
    assert 'class="histogram" aria-label="log lines per 30 s"' in html
    # under the bars (they have no axis): the window's ends, and what the tallest bar counts
    tallest = max(int(n) for n in re.findall(r'title="[^"]+: (\d+) line\(s\)"><span', html))
    assert f"<span>a bar per 30 s, the tallest {tallest} line(s); click one for its lines</span>" in html
    assert re.search(r'<div class="histogram-axis"><span>\d\d:\d\d</span>', html)


def test_it_suggests_the_services_jaeger_knows_for_the_service_filter(viewer, seeded):
    html = viewer.get("/logs?range=1h").get_data(as_text=True)
    assert 'name="service" value="" placeholder="service" size="12" list="log-services"' in html
    suggested = re.findall(r'<option value="([^"]+)">', re.search(r'<datalist id="log-services">(.*?)</datalist>', html)[1])
    assert seeded.payments in suggested and suggested == sorted(suggested)


def test_it_shows_the_logs_without_suggestions_when_jaeger_is_down(make_app, seeded, closed_url):
    client = log_in(make_app(LOGS_INDEX=seeded.index, JAEGER_URL=closed_url))
    html = client.get(f"/logs?range=1h&trace_id={seeded.trace_id}").get_data(as_text=True)
    assert alerts(html) == [] and "3 line(s), newest first." in html
    assert '<datalist id="log-services"></datalist>' in html


def test_it_counts_every_match_and_pages_on_to_older_lines(viewer, seeded):
    html = viewer.get(f"/logs?range=1h&trace_id={seeded.trace_id}&limit=2").get_data(as_text=True)
    assert "2 of 3 line(s), newest first." in html
    older = re.search(r'<a id="older-lines" href="([^"]+)">older lines</a>', html)[1].replace("&amp;", "&")
    assert f"trace_id={seeded.trace_id}" in older and "limit=2" in older and "range=custom" in older
    rest = viewer.get(older).get_data(as_text=True)
    # up to the oldest line shown, that one included: the third line and the second again
    assert "2 line(s), newest first." in rest and 'id="older-lines"' not in rest
    # each bar of the histogram opens the same search over its own time
    bars = re.findall(r'<a href="(/logs\?[^"]+)" title="[^"]+: (\d+) line\(s\)"><span', html)
    assert sum(int(n) for _, n in bars) == 3
    assert all("range=custom" in url and f"trace_id={seeded.trace_id}" in url for url, _ in bars)
    busy = next(url for url, n in bars if int(n))
    assert "line(s), newest first." in viewer.get(busy.replace("&amp;", "&")).get_data(as_text=True)


@pytest.mark.parametrize("seconds, text", [(10, "10 s"), (90, "90 s"), (300, "5 min"), (3600, "1 h"),
                                           (43200, "12 h"), (86400, "1 d")])
def test_it_names_a_bar_width_as_a_clock_would(seconds, text):
    assert interval(seconds) == text


@pytest.mark.parametrize("path", ["/logs?trace_id=xyz", "/services?range=2h", "/traces/not-a-trace"],
                         ids=["bad trace filter", "unknown range", "bad trace id"])
def test_it_answers_bad_input_with_400(viewer, path):
    assert viewer.get(path).status_code == 400


def test_it_lists_the_rule_changes_and_scale_actions_on_the_service_page(make_app, seeded):
    app = make_app(LOGS_INDEX=seeded.index)
    record_changes(app, seeded.payments)
    answer = log_in(app).get(f"/services/{seeded.payments}?range=15m")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert re.search(r'<a href="/rules/\d+">shop / PaymentsFailing</a></td>\s*<td>created \(v1\)</td><td>alice</td>'
                     r'<td>page on payment errors</td>', html)
    assert re.search(r"<td>1 → 2</td>\s*<td>bob \(manual\)</td><td>applied</td><td>release 42</td>", html)
    assert "another service" not in html


def test_it_lists_the_services_incidents_on_its_page(make_app, seeded):
    app = make_app(LOGS_INDEX=seeded.index)
    open_now, _ = record_incidents(app, seeded.payments)
    html = log_in(app).get(f"/services/{seeded.payments}?range=15m").get_data(as_text=True)
    incidents = html.split('id="service-incidents"')[1].split("</table>")[0]
    assert f'<a href="/incidents/{open_now}">{seeded.payments} fails a third of its requests</a>' in incidents
    assert 'class="pill pill-down">open<' in incidents and 'class="sev sev-page">page<' in incidents
    assert "was slow" not in incidents and "another service" not in incidents


def test_it_shows_the_lines_of_the_reports_traces_errors_first_and_then_the_others(viewer, seeded):
    html = viewer.get(f"/services/{seeded.catalog}?range=15m").get_data(as_text=True)
    assert "3 line(s), the first of each trace and its first errors;" in html and "all shown here," in html
    lines = html[html.index("Log lines of these traces"):html.index("Top routes")]
    shown = [m for m in ("payment refused: card declined", "POST /api/checkout 502", "GET /products 200")
             if m in lines]
    assert shown == sorted(shown, key=lines.index) == ["payment refused: card declined", "POST /api/checkout 502",
                                                       "GET /products 200"]


def test_it_searches_a_services_traces_and_links_each_to_its_page(viewer, seeded):
    html = viewer.get(f"/traces?range=15m&service={seeded.catalog}&failed=true").get_data(as_text=True)
    assert alerts(html) == []
    assert f"<option selected>{seeded.catalog}</option>" in html
    assert f'<a href="/traces/{seeded.trace_id}?range=15m">' in html
    assert f"{seeded.gateway} · <code>POST /api/checkout</code>" in html and "100.0 ms" in html
    assert f"1 trace(s) of {seeded.catalog}, newest first, the failed among the newest 1." in " ".join(html.split())
    html = viewer.get(f"/traces?range=15m&service={seeded.catalog}&min_duration_ms=50").get_data(as_text=True)
    assert "0 trace(s) of" in html and seeded.trace_id not in html


def test_it_shows_the_trace_search_with_a_banner_when_jaeger_is_down(make_app, closed_url):
    client = log_in(make_app(JAEGER_URL=closed_url))
    answer = client.get("/traces?service=payments")
    assert answer.status_code == 200
    assert [a for a in alerts(answer.get_data(as_text=True)) if a.startswith("Traces unavailable")]


def test_it_refuses_a_bad_trace_search_filter_with_400(viewer):
    answer = viewer.get("/traces?service=payments&min_duration_ms=-5")
    assert answer.status_code == 400
    assert "bad filter min_duration_ms: Input should be greater than or equal to 0" in answer.get_data(as_text=True)
