"""``correlate?alert=``: an alert held by the real Alertmanager names the service and the window of its report."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from console.backends.alertmanager import Alert
from console.correlate.alert import LEAD, AlertNotFound, alert_window, find_alert
from console.errors import UsageProblem
from dashkit import bearer

pytestmark = pytest.mark.stack

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def alert(fingerprint: str, name: str, started: datetime, ends: datetime | None = None, **labels) -> Alert:
    return Alert(fingerprint, {"alertname": name, **labels}, {}, "active", started, ends, "", [], [])


OLD = alert("00000000000000a1", "PaymentsFailing", NOW - timedelta(hours=2), NOW - timedelta(hours=1), service="payments")
NEW = alert("00000000000000a2", "PaymentsFailing", NOW - timedelta(minutes=10), NOW + timedelta(minutes=4),
            service="payments")


@pytest.mark.parametrize("ref, found", [
    pytest.param("00000000000000a1", OLD, id="by fingerprint"),
    pytest.param("PaymentsFailing", NEW, id="by name: the newest"),
])
def test_it_finds_an_alert_by_fingerprint_or_name(ref, found):
    assert find_alert([OLD, NEW], ref) == found


def test_it_says_which_alert_it_could_not_find():
    with pytest.raises(AlertNotFound, match="GatewayDown"):
        find_alert([OLD, NEW], "GatewayDown")


@pytest.mark.parametrize("subject, window", [
    pytest.param(NEW, (NOW - timedelta(minutes=25), NOW), id="still firing: up to now"),
    pytest.param(OLD, (NOW - timedelta(hours=2, minutes=15), NOW - timedelta(minutes=55)), id="ended: a little past"),
])
def test_it_covers_the_alert_from_a_little_before_it_started(subject, window):
    service, got = alert_window(subject, NOW)
    assert (service, got.start, got.end) == ("payments", *window)


def test_it_refuses_an_alert_without_a_service_label():
    with pytest.raises(UsageProblem, match="no service label"):
        alert_window(alert("00000000000000b1", "Watchdog", NOW), NOW)


@pytest.fixture
def held(alertmanager_url, seeded):
    """Two alerts posted to the real Alertmanager: one on the seeded payments service, one with no service."""
    name = f"CorrelateProbe{uuid.uuid4().hex[:8]}"
    started = datetime.now(timezone.utc) - timedelta(minutes=3)
    posted = [{"labels": {"alertname": name, "service": seeded.payments, "severity": "page"},
               "startsAt": started.isoformat()},
              {"labels": {"alertname": f"{name}NoService"}, "startsAt": started.isoformat()}]
    httpx.post(f"{alertmanager_url}/api/v2/alerts", json=posted, timeout=10).raise_for_status()
    alerts = httpx.get(f"{alertmanager_url}/api/v2/alerts", params={"filter": f'alertname="{name}"'}, timeout=10).json()
    yield name, alerts[0]["fingerprint"], started


@pytest.fixture
def api(make_app, seeded):
    app = make_app(LOGS_INDEX=seeded.index)
    client, headers = app.test_client(), bearer(app)
    return lambda url: client.get(url, headers=headers)


@pytest.mark.parametrize("by", ["name", "fingerprint"])
def test_it_reports_on_the_alerts_service_around_its_start(api, held, seeded, by):
    name, fingerprint, started = held
    answer = api(f"/api/v1/correlate?alert={name if by == 'name' else fingerprint}")
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["service"] == seeded.payments
    start = datetime.fromisoformat(body["window"]["start"].replace("Z", "+00:00"))
    assert abs(start - (started - LEAD)) < timedelta(seconds=1)
    failing = next(s for s in body["sections"] if s["key"] == "failing")
    assert [t["trace_id"] for t in failing["items"]] == [seeded.trace_id]


@pytest.mark.parametrize("ref, status", [("NoSuchAlertAnywhere", 404), ("{name}NoService", 422)],
                         ids=["unknown alert", "no service label"])
def test_it_answers_clearly_when_the_alert_cannot_be_correlated(api, held, ref, status):
    answer = api(f"/api/v1/correlate?alert={ref.format(name=held[0])}")
    assert answer.status_code == status, answer.json


@pytest.mark.parametrize("query", ["alert=A&service=payments", "alert=A&range=1h", "alert=bad%20name"],
                         ids=["two subjects", "with a range", "not an alert name"])
def test_it_refuses_an_unclear_alert_correlation(api, query):
    assert api(f"/api/v1/correlate?{query}").status_code in (400, 422)


def test_it_answers_503_when_alertmanager_is_down(make_app, closed_url):
    app = make_app(ALERTMANAGER_URL=closed_url)
    answer = app.test_client().get("/api/v1/correlate?alert=PaymentsFailing", headers=bearer(app))
    assert answer.status_code == 503 and answer.json["error"] == "backend_unavailable"
