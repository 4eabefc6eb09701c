"""The logs page's live tail: the rows since a time, and new lines appearing in a real browser as they arrive."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from elasticsearch import Elasticsearch
from playwright.sync_api import expect

from dashkit import log_in
from kit import browser_page, serving

pytestmark = pytest.mark.stack


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


@pytest.fixture
def viewer(make_app, seeded):
    return log_in(make_app(LOGS_INDEX=seeded.index))


def test_it_gives_the_rows_since_a_time_newest_first(viewer, seeded):
    since = iso(datetime.fromtimestamp(seeded.start_ns / 1e9, timezone.utc))
    html = viewer.get(f"/logs/tail?range=15m&trace_id={seeded.trace_id}&since={since}").get_data(as_text=True)
    assert html.count('<tr class="level-') == 3
    assert html.index("POST /api/checkout 502") < html.index("payment refused") < html.index("GET /products 200")


def test_it_gives_no_rows_after_the_newest_line(viewer, seeded):
    later = iso(datetime.fromtimestamp(seeded.start_ns / 1e9, timezone.utc) + timedelta(seconds=1))
    html = viewer.get(f"/logs/tail?range=15m&trace_id={seeded.trace_id}&since={later}").get_data(as_text=True)
    assert "<tr" not in html


@pytest.mark.parametrize("query", ["since=yesterday", "since=", "since=2026-11-25T10:00:00Z&service=a%20b"],
                         ids=["not a time", "no time", "bad filter"])
def test_it_refuses_a_bad_tail_request(viewer, query):
    answer = viewer.get(f"/logs/tail?range=15m&{query}")
    assert answer.status_code == 400 and "bad tail request" in answer.get_data(as_text=True)


def test_it_says_in_a_row_when_elasticsearch_is_down(make_app, closed_url):
    answer = log_in(make_app(ELASTICSEARCH_URL=closed_url)).get("/logs/tail?range=15m&since=2026-11-25T10:00:00Z")
    assert answer.status_code == 200 and 'class="tail-error"' in answer.get_data(as_text=True)


def test_it_needs_a_login(make_app):
    answer = make_app().test_client().get("/logs/tail?since=2026-11-25T10:00:00Z")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_it_adds_new_lines_to_the_page_as_they_arrive(make_app, seeded, elasticsearch_url, artifacts):
    app = make_app(LOGS_INDEX=seeded.index)
    log_in(app)  # creates charlie
    index = seeded.index.replace("*", time.strftime("%Y.%m.%d", time.gmtime()))
    with serving(app) as url, browser_page(url, "charlie", height=800) as page, \
            Elasticsearch(elasticsearch_url) as es:
        page.goto(f"{url}/logs?range=15m&service={seeded.payments}")
        expect(page.locator("table.lines tbody tr")).to_have_count(1)
        page.check("#live-tail")
        for n in range(3):
            es.index(index=index, refresh=True, document={
                "@timestamp": iso(datetime.now(timezone.utc)), "log.level": "warning",
                "message": f"tailed line {n}", "service.name": seeded.payments})
            expect(page.locator("table.lines tbody tr").first).to_contain_text(f"tailed line {n}")
        expect(page.locator("table.lines tbody tr")).to_have_count(4)  # each line once, however often polled
        expect(page.locator("#tail-status")).to_have_text("live: 3 new line(s)")
        page.screenshot(path=artifacts / "logs-live-tail.png", full_page=True)
