"""The on-call page: the configured channels with their last delivery and a "send test" button (operators; the
test goes to the real SMTP server and our chat server), and the escalation policies."""
from __future__ import annotations

import re

from sqlalchemy import select

from console import store
from console.alerts import notifier
from console.store.models import AuditEntry
from kit import log_in

from alertkit import TOKEN, oncall_settings
from payloads import notification

POLICIES = """
schedules:
  - name: payments-primary
    timezone: Europe/Berlin
    handoff: {every: week, at: "mon 09:00"}
    start: 2026-01-05
    people: [{name: alice, email: alice@example.test}]
policies:
  - name: payments pages
    match: {service: payments}
    steps: [{after: 5m, notify: {email: [secondary@example.test]}}]
    repeat: 1
"""


def csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]


def test_it_lists_the_channels_their_last_delivery_and_the_policies(make_console, smtp, chat, tmp_path):
    (tmp_path / "escalation.yml").write_text(POLICIES)
    app = make_console(**oncall_settings(smtp, chat), ONCALL_POLICIES=str(tmp_path / "escalation.yml"),
                       NOTIFY_EVIDENCE=False)
    app.test_client().post("/api/v1/alertmanager/webhook", json=notification(),
                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert notifier(app).wait_idle(10)
    page = log_in(app).get("/oncall").get_data(as_text=True)
    assert re.search(r'data-channel="email">.*?oncall@example.test.*?pill-up">sent', page, re.S)
    assert re.search(r'data-channel="chat">.*?/\*\*\*', page, re.S) and "secret-path-xyz" not in page
    assert 'data-policy="payments pages"' in page and "after 5m: email to secondary@example.test" in page
    assert re.search(r'data-schedule="payments-primary">.*?<strong>alice</strong>.*?Europe/Berlin', page, re.S)
    assert "Send test" not in page  # a viewer reads


def test_it_sends_a_test_through_a_channel_and_shows_what_it_answered(make_console, smtp, chat):
    inbox, _ = smtp
    app = make_console(**oncall_settings(smtp, chat))
    operator = log_in(app, "operator", name="olive")
    token = csrf(operator.get("/oncall"))
    sent = operator.post("/oncall/channels/email/test", data={"csrf_token": token})
    assert sent.status_code == 200 and "Test through email: sent to oncall@example.test" in sent.get_data(as_text=True)
    assert "[TEST] opsconsole test message" in inbox.messages[-1].text
    chat.statuses.append(500)
    refused = operator.post("/oncall/channels/chat/test", data={"csrf_token": token})
    assert refused.status_code == 502 and "HTTP 500" in refused.get_data(as_text=True) and chat.posts == []
    assert operator.post("/oncall/channels/pager/test", data={"csrf_token": token}).status_code == 404
    with app.app_context():
        audit = [(a.action, a.target, a.result) for a in store.session().scalars(
            select(AuditEntry).where(AuditEntry.action == "oncall.test_channel").order_by(AuditEntry.id))]
    assert audit == [("oncall.test_channel", "channel:email", "ok"), ("oncall.test_channel", "channel:chat", "failed")]
    viewer = log_in(app, "viewer")
    assert viewer.post("/oncall/channels/email/test", data={"csrf_token": csrf(viewer.get("/oncall"))}).status_code == 403
