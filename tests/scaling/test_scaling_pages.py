"""The scaling pages: login required, what a viewer reads (targets, metrics, decisions, override, chart data,
policy), and banners with the stored view, never a 500, when Prometheus or the local stack is down."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from console import store
from console.scaling.models import ScaleOverride, ScaleRecord
from console.store import utcnow
from kit import log_in


def alerts(html: str) -> list[str]:
    return [" ".join(a.split()) for a in re.findall(r'role="alert">([^<]*)', html)]


def record(app, *, ago: float, frm: int, to: int, reason: str, result: str = "applied", dry_run: bool = False,
           actor: str = "loop:test", values: dict | None = None) -> None:
    with app.app_context():
        db = store.session()
        db.add(ScaleRecord(at=utcnow() - timedelta(seconds=ago), target="gateway", actor=actor, kind="auto",
                           from_replicas=frm, to_replicas=to, reason=reason, dry_run=dry_run, result=result,
                           values=values))
        db.commit()


@pytest.mark.parametrize("path", ["/scaling", "/scaling/gateway"], ids=["overview", "target"])
def test_it_sends_a_stranger_to_the_login_page(offline, path):
    answer = offline.test_client().get(path)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_it_shows_banners_and_the_stored_view_when_prometheus_and_the_stack_are_down(offline):
    record(offline, ago=120, frm=1, to=3, reason="http_requests_per_second: 55 against target 20 -> 3")
    client = log_in(offline)
    overview = client.get("/scaling")
    assert overview.status_code == 200
    html = overview.get_data(as_text=True)
    banners = alerts(html)
    assert any(b.startswith("Replicas unavailable, showing the stored view: local stack: not running") for b in banners)
    assert any(b.startswith("Metrics unavailable:") for b in banners)
    gateway = html.split('data-target="gateway"')[1].split("</section>")[0]
    assert re.search(r'class="now">\s*<strong>3</strong>\s*<span class="hint-inline">stored', gateway)
    assert "55 against target 20 \u2192 3" in gateway  # an arrow the line cannot break inside

    page = client.get("/scaling/gateway?range=1h")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert any(b.startswith("Load unavailable:") for b in alerts(html))
    chart = json.loads(re.search(r'id="scaling-data">(.*?)</script>', html, re.S)[1])
    # no load, but the replica line and the event still are drawn from the store
    assert [m["label"] for m in chart["marks"]] == ["1→3"]
    assert 3 in chart["replicas"] and not any(chart["load"])


def test_it_shows_a_viewer_each_target_its_metrics_decisions_and_override(make_app, stack):
    app = make_app(SCALING_HOME=str(stack.layout.home))
    record(app, ago=300, frm=1, to=3, reason="http_requests_per_second: 55 against target 20 -> 3",
           values={"http_requests_per_second": 55.0})
    record(app, ago=200, frm=3, to=2, reason="rehearse", dry_run=True, result="dry_run", actor="bob")
    with app.app_context():
        db = store.session()
        db.add(ScaleOverride(target="payments", replicas=2, until=utcnow() + timedelta(minutes=10), actor="bob",
                             reason="stream backlog after the release"))
        db.commit()
    client = log_in(app)

    answer = client.get("/scaling")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert alerts(html) == []
    assert '<a href="/scaling"' in html  # in the menu
    assert [t for t in re.findall(r'data-target="([^"]+)"', html)] == ["catalog", "gateway", "payments"]
    gateway = html.split('data-target="gateway"')[1].split("</section>")[0]
    assert re.search(r'class="desired">\s*<strong>3</strong>', gateway)  # the dry run decides nothing
    for metric in ("http_requests_per_second", "http_request_duration_p95_seconds"):
        assert f'data-metric="{metric}"' in gateway
    assert "rehearse" in gateway and "dry run" in gateway
    payments = html.split('data-target="payments"')[1].split("</section>")[0]
    assert "Manual override: 2 replica(s) until" in payments
    assert "set by bob: “stream backlog after the release”" in payments
    assert "Manual override" not in gateway
    partial = client.get("/scaling", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and 'data-target="gateway"' in partial

    page = client.get("/scaling/gateway?range=1h").get_data(as_text=True)
    assert alerts(page) == []
    chart = json.loads(re.search(r'id="scaling-data">(.*?)</script>', page, re.S)[1])
    assert [(m["label"], m["kind"]) for m in chart["marks"]] == [("1→3", "applied"), ("3→2", "dry_run")]
    assert chart["load_label"] == "http_requests_per_second (all replicas)"
    assert "<code>http_requests_per_second=55</code>" in page
    assert "maxReplicas: 4" in page and "averageValue: 20" in page
    assert client.get("/scaling/nosuch").status_code == 404
