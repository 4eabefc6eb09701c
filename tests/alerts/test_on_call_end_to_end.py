"""On call, end to end against real peers: alerts posted to a real Alertmanager reach the console's webhook
on a loopback port, become one incident, one email in a real SMTP server and one chat post; Alertmanager's
own repeats add nothing; the resolution closes the incident and says so once more. A silence made from the
incident stops Alertmanager's notifications, and expiring it lets them through again. An SLO's fast burn holds
back its slow-burn ticket."""
from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from console import auth, store
from console.alerts import notifier
from console.alerts.models import Incident
from console.rules.slo import FAST_BURN, SLOW_BURN
from deploy.local.alerting import console_token, route_to_console
from kit import eventually, serving
from kit import own_alertmanager as alertmanager_of_our_own

from alertkit import oncall_settings

ALERT = {"labels": {"alertname": "OnCallEndToEnd", "service": "payments", "severity": "critical"},
         "annotations": {"summary": "payments fails half its requests", "description": "error ratio 0.5"},
         "generatorURL": "http://127.0.0.1:9090/graph"}


@pytest.fixture
def own_alertmanager(tmp_path):
    """An Alertmanager of this test's own (the session's is shared)."""
    with alertmanager_of_our_own(tmp_path / "alertmanager-home") as started:
        yield started


@pytest.fixture
def routed(own_alertmanager, make_console, smtp, chat):
    """A console served on a loopback port, and our Alertmanager routed to it and reloaded; yields (AM URL, app)."""
    layout, ports, url = own_alertmanager
    app = make_console(**oncall_settings(smtp, chat, token=console_token(layout)), ALERTMANAGER_URL=url)
    with serving(app) as console_url:
        route_to_console(layout, ports, console_url, group_wait="1s", group_interval="2s", repeat_interval="4s")
        yield url, app


def webhook_calls(app) -> float:
    """How many webhook requests the console has answered, from its own /metrics."""
    text = app.test_client().get("/metrics").get_data(as_text=True)
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith("http_requests_total{") and 'route="/api/v1/alertmanager/webhook"' in line)


def incidents(app) -> list[Incident]:
    with app.app_context():
        return list(store.session().scalars(select(Incident)))


def test_it_turns_alertmanagers_notifications_into_one_incident_one_email_and_one_chat_post(routed, smtp, chat):
    inbox, _ = smtp
    own_alertmanager, oncall_app = routed
    started = datetime.now(UTC).isoformat()
    posted = time.time()
    httpx.post(f"{own_alertmanager}/api/v2/alerts", json=[{**ALERT, "startsAt": started}], timeout=5).raise_for_status()
    eventually(lambda: inbox.messages, timeout=30, interval=0.05, what="the email in the SMTP server")
    [incident] = incidents(oncall_app)
    received = incident.opened_at.timestamp()
    accepted = inbox.messages[0].at
    print(f"\non-call: Alertmanager's send (webhook received) -> email accepted: {(accepted - received) * 1000:.0f} ms;"
          f" alert posted to Alertmanager -> email accepted: {accepted - posted:.2f} s (group_wait 1 s)")
    assert (incident.status, incident.service, incident.severity) == ("open", "payments", "critical")
    assert "Subject: [FIRING:1] payments fails half its requests (critical payments)" in inbox.messages[0].text
    eventually(lambda: chat.posts, timeout=10, interval=0.05, what="the chat post")

    # Alertmanager repeats the group after repeat_interval: the console hears it and sends nothing new
    eventually(lambda: webhook_calls(oncall_app) >= 2, timeout=30, interval=0.2, what="Alertmanager's repeat")
    assert notifier(oncall_app).wait_idle(10)
    assert (len(incidents(oncall_app)), len(inbox.messages), len(chat.posts)) == (1, 1, 1)

    # the alert ends: Alertmanager sends it resolved, the incident closes, and the close is notified once
    ended = datetime.now(UTC).isoformat()
    httpx.post(f"{own_alertmanager}/api/v2/alerts", json=[{**ALERT, "startsAt": started, "endsAt": ended}],
               timeout=5).raise_for_status()
    eventually(lambda: incidents(oncall_app)[0].status == "resolved", timeout=30, interval=0.2,
               what="the incident resolved")
    eventually(lambda: len(inbox.messages) == 2 and len(chat.posts) == 2, timeout=10, interval=0.05,
               what="the resolution notified")
    assert "[RESOLVED]" in inbox.messages[1].text
    assert len(incidents(oncall_app)) == 1


def test_it_stops_alertmanagers_notifications_while_an_incidents_silence_lasts(routed):
    own_alertmanager, oncall_app = routed
    with oncall_app.app_context():
        db = store.session()
        user = auth.create_user(db, name="bob", password="a long test password", role="operator")
        token, _ = auth.create_token(db, role="operator", name="bob", user_id=user.id)
    started = datetime.now(UTC).isoformat()
    httpx.post(f"{own_alertmanager}/api/v2/alerts", json=[{**ALERT, "startsAt": started}], timeout=5).raise_for_status()
    [incident] = eventually(lambda: incidents(oncall_app), timeout=30, interval=0.1, what="the incident")
    made = oncall_app.test_client().post("/api/v1/silences", headers={"Authorization": f"Bearer {token}"}, json={
        "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in ALERT["labels"].items()],
        "duration": 600, "comment": "fix deploying", "incident_id": incident.id})
    assert made.status_code == 201, made.json

    # silenced: Alertmanager's repeats (every 4 s here) stop reaching the console
    time.sleep(1)
    before = webhook_calls(oncall_app)
    time.sleep(10)
    assert webhook_calls(oncall_app) == before

    # expired: the next flush past repeat_interval notifies again
    expired = oncall_app.test_client().delete(f"/api/v1/silences/{made.json['id']}",
                                              headers={"Authorization": f"Bearer {token}"})
    assert expired.status_code == 204
    eventually(lambda: webhook_calls(oncall_app) > before, timeout=20, interval=0.2, what="notifications again")


def test_it_opens_one_incident_per_service_for_one_alert(routed):
    own_alertmanager, oncall_app = routed
    started = datetime.now(UTC).isoformat()
    alerts = [{**ALERT, "labels": {**ALERT["labels"], "service": service}, "startsAt": started}
              for service in ("payments", "orders")]
    httpx.post(f"{own_alertmanager}/api/v2/alerts", json=alerts, timeout=5).raise_for_status()
    eventually(lambda: len(incidents(oncall_app)) == 2, timeout=30, interval=0.1, what="an incident for each service")
    with oncall_app.app_context():
        opened = store.session().scalars(select(Incident)).all()
        assert sorted((i.service, [a.labels["service"] for a in i.alerts]) for i in opened) == [
            ("orders", ["orders"]), ("payments", ["payments"])]


def test_it_holds_back_an_slos_slow_burn_ticket_while_its_fast_burn_pages(routed):
    own_alertmanager, oncall_app = routed
    started = datetime.now(UTC).isoformat()

    def burn(alert: str, severity: str, slo: str, service: str) -> dict:
        return {"labels": {"alertname": alert, "severity": severity, "slo": slo, "service": service},
                "annotations": {"summary": f"{service} burns {slo}'s budget"}, "startsAt": started}

    alerts = [burn(FAST_BURN, "page", "payments-availability", "payments"),
              burn(SLOW_BURN, "ticket", "payments-availability", "payments"),
              burn(SLOW_BURN, "ticket", "checkout-success", "orders")]  # no page for this SLO: its ticket goes
    httpx.post(f"{own_alertmanager}/api/v2/alerts", json=alerts, timeout=5).raise_for_status()
    eventually(lambda: len(incidents(oncall_app)) >= 2, timeout=30, interval=0.1, what="the page and the other ticket")
    # every group is flushed after the same group_wait: a ticket not held back would be here by now
    time.sleep(3)
    assert notifier(oncall_app).wait_idle(10)
    assert sorted((i.service, i.severity) for i in incidents(oncall_app)) == [("orders", "ticket"),
                                                                             ("payments", "page")]
