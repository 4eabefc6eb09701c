"""Delivery: retried with backoff, every attempt on the incident's timeline, outcomes counted at /metrics."""
from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from console import store
from console.alerts import notifier
from console.alerts.models import Delivery, Incident
from console.alerts.notify.webhook import verify

from alertkit import TOKEN, oncall_settings
from payloads import notification


def post_and_wait(app) -> Incident:
    response = app.test_client().post("/api/v1/alertmanager/webhook", json=notification(),
                                      headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert notifier(app).wait_idle(10)
    with app.app_context():
        return store.session().scalars(select(Incident).options(selectinload(Incident.events))).one()


def deliveries(app) -> dict[str, tuple[str, int, str | None]]:
    with app.app_context():
        return {d.channel: (d.status, d.attempts, d.last_error) for d in store.session().scalars(select(Delivery))}


def metric(app, channel: str, result: str) -> float:
    text = app.test_client().get("/metrics").get_data(as_text=True)
    line = f'opsconsole_notifications_total{{channel="{channel}",result="{result}"}}'
    return next((float(row.split()[-1]) for row in text.splitlines() if row.startswith(line)), 0.0)


def test_it_retries_a_transient_failure_and_records_each_attempt(oncall_app, chat):
    chat.statuses += [503, 502]
    incident = post_and_wait(oncall_app)
    assert len(chat.posts) == 1
    status, attempts, error = deliveries(oncall_app)["chat"]
    assert (status, attempts) == ("sent", 3) and "HTTP 502" in error
    chat_events = [e for e in incident.events if e.text.startswith("chat")]
    assert [e.kind for e in chat_events] == ["delivery_failed", "delivery_failed", "notified"]
    assert "secret-path-xyz" not in " ".join(e.text for e in incident.events)
    assert (metric(oncall_app, "chat", "error"), metric(oncall_app, "chat", "sent")) == (2, 1)


def test_it_gives_up_on_a_permanent_failure_and_shows_it(oncall_app, smtp, chat):
    inbox, _ = smtp
    inbox.answers.append("550 5.1.1 no such mailbox")
    incident = post_and_wait(oncall_app)
    assert inbox.messages == [] and len(chat.posts) == 1
    status, attempts, error = deliveries(oncall_app)["email"]
    assert (status, attempts) == ("failed", 1) and "550" in error
    failed = [e for e in incident.events if e.kind == "delivery_failed"]
    assert [e.detail.get("final", False) for e in failed] == [False, True]
    assert metric(oncall_app, "email", "failed") == 1 and metric(oncall_app, "chat", "sent") == 1


def test_it_gives_up_after_the_configured_attempts(make_console, chat):
    app = make_console(ALERTMANAGER_TOKEN=TOKEN, CHAT_WEBHOOK_URL=chat.url, NOTIFY_ATTEMPTS=2)
    chat.statuses += [500, 500, 500]
    post_and_wait(app)
    assert deliveries(app)["chat"][:2] == ("failed", 2) and chat.posts == []
    assert metric(app, "chat", "failed") == 1 and metric(app, "chat", "error") == 2


def planned_but_unsent(app) -> None:
    """What a console that stopped between commit and send leaves behind: a pending delivery per channel."""
    from console.alerts import notify
    from console.alerts.receive import parse, upsert
    from console.store import utcnow

    with app.app_context():
        db = store.session()
        incident = upsert(db, parse(notification()), utcnow()).incident
        db.flush()
        notify.plan(db, incident, notifier(app).channels.values(), utcnow())
        db.commit()


def test_it_sends_after_a_restart_what_was_planned_before_it(make_console, smtp, chat, tmp_path):
    inbox, _ = smtp
    settings = {**oncall_settings(smtp, chat), "DATABASE_URL": f"sqlite:///{tmp_path / 'restart.db'}"}
    planned_but_unsent(make_console(**settings))
    again = make_console(**settings)
    assert notifier(again).wait_idle(10)
    assert deliveries(again) == {"email": ("sent", 1, None), "chat": ("sent", 1, None)}
    assert len(inbox.messages) == 1 and len(chat.posts) == 1
    # a third start finds nothing left to send
    assert notifier(make_console(**settings)).resume() == 0


def test_it_fails_a_delivery_whose_channel_is_gone(make_console, smtp, chat, tmp_path):
    settings = {**oncall_settings(smtp, chat), "DATABASE_URL": f"sqlite:///{tmp_path / 'gone.db'}"}
    planned_but_unsent(make_console(**settings))
    without_chat = make_console(**{**settings, "CHAT_WEBHOOK_URL": ""})
    assert notifier(without_chat).wait_idle(10)
    assert deliveries(without_chat)["chat"] == ("failed", 0, "channel chat is not configured")
    assert chat.posts == []


def test_it_posts_the_incident_as_signed_json_to_the_webhook_channel(make_console, chat):
    secret = "the-receivers-shared-secret"
    app = make_console(ALERTMANAGER_TOKEN=TOKEN, NOTIFY_WEBHOOK_URL=chat.url, NOTIFY_WEBHOOK_SECRET=secret,
                       PUBLIC_URL="http://console.test")
    incident = post_and_wait(app)
    (headers, body), = chat.received
    assert verify(secret, headers["x-opsconsole-timestamp"], headers["x-opsconsole-signature"], body, now=time.time())
    sent = chat.posts[0]["incident"]
    assert (sent["id"], sent["status"]) == (incident.id, "open")
    assert sent["link"] == f"http://console.test/incidents/{incident.id}"
    posted = notification()["alerts"]
    assert [a["labels"]["alertname"] for a in sent["alerts"]] == [a["labels"]["alertname"] for a in posted]
    assert deliveries(app)["webhook"][0] == "sent" and metric(app, "webhook", "sent") == 1
