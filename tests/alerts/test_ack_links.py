"""Ack links: each notification carries its own; a GET only shows what it would do, a POST acknowledges once;
used, expired, altered or foreign links are refused. Mail through the real SMTP server, chat through ours."""
from __future__ import annotations

import email
import email.policy
import re
import time

from sqlalchemy import select

from console import store
from console.alerts import notifier
from console.alerts.models import Incident
from console.store.models import AuditEntry

from alertkit import TOKEN, oncall_settings
from payloads import notification

LINK = re.compile(r"Acknowledge \(once, no login needed\): http://console\.test(/ack/\S+)")


def paged(app, smtp, chat) -> tuple[str, str]:
    """Post a notification; the ack link paths of the email and of the chat post."""
    inbox, _ = smtp
    answer = app.test_client().post("/api/v1/alertmanager/webhook", json=notification(),
                                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and notifier(app).wait_idle(10)
    mail = email.message_from_string(inbox.messages[0].text, policy=email.policy.default)
    return LINK.search(mail.get_body(("plain",)).get_content())[1], LINK.search(chat.posts[0]["text"])[1]


def incident(app) -> Incident:
    with app.app_context():
        found = store.session().scalars(select(Incident)).one()
        return found.status, found.acknowledged_by, [(e.kind, e.actor) for e in found.events]


def csrf_of(page) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    return found[1] if found else ""


def press(client, path: str):
    """Open the link as a phone would, then press its button."""
    page = client.get(path)
    return page, client.post(path, data={"csrf_token": csrf_of(page)})


def test_it_acknowledges_once_from_the_link_without_a_login(oncall_app, smtp, chat):
    mail_link, chat_link = paged(oncall_app, smtp, chat)
    assert mail_link != chat_link  # one link per message
    phone = oncall_app.test_client()
    page, pressed = press(phone, mail_link)
    # opening the link (as a mail scanner or a chat preview does) changed nothing
    assert page.status_code == 200 and "Acknowledge incident #1?" in page.get_data(as_text=True)
    assert 'href="/services"' not in page.get_data(as_text=True)  # no menu of areas the phone cannot open
    assert pressed.status_code == 200 and "Acknowledged" in pressed.get_data(as_text=True)
    status, by, events = incident(oncall_app)
    assert (status, by) == ("acknowledged", "ack link (email)") and ("acknowledged", "ack link (email)") in events
    with oncall_app.app_context():
        audit = store.session().scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (audit.action, audit.target, audit.result) == ("incidents.ack", "incident:1", "ok")

    # the same phone presses again (its form still holds a good CSRF token): refused
    again = phone.post(mail_link, data={"csrf_token": csrf_of(page)})
    assert again.status_code == 410 and "already used" in again.get_data(as_text=True)
    assert oncall_app.test_client().get(mail_link).status_code == 410
    # the chat's link is still unspent, but there is nothing left to acknowledge
    late = oncall_app.test_client().post(chat_link, data={"csrf_token": ""})
    assert late.status_code == 400  # no CSRF token: refused before anything
    _, late = press(oncall_app.test_client(), chat_link)
    assert late.status_code == 409 and "already acknowledged by ack link (email)" in late.get_data(as_text=True)


def test_it_refuses_an_expired_link(make_console, smtp, chat):
    app = make_console(**oncall_settings(smtp, chat), ACK_LINK_TTL=1)
    mail_link, _ = paged(app, smtp, chat)
    time.sleep(2.1)
    phone = app.test_client()
    page = phone.get(mail_link)
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)
    pressed = phone.post(mail_link, data={"csrf_token": csrf_of(phone.get("/login"))})
    assert pressed.status_code == 410
    assert incident(app)[0] == "open"


def test_it_refuses_altered_and_foreign_links(oncall_app, make_console, smtp, chat):
    mail_link, _ = paged(oncall_app, smtp, chat)
    altered = mail_link[:-3] + ("AAA" if not mail_link.endswith("AAA") else "BBB")
    assert oncall_app.test_client().get(altered).status_code == 404
    assert oncall_app.test_client().get("/ack/" + "x" * 600).status_code == 404
    # signed with another console's secret key
    other = make_console(**oncall_settings(smtp, chat), SECRET_KEY="another console's secret")
    assert other.test_client().get(mail_link).status_code == 404
    assert incident(oncall_app)[0] == "open"


def test_it_sends_no_ack_link_without_a_public_url(make_console, smtp, chat):
    settings = {k: v for k, v in oncall_settings(smtp, chat).items() if k != "PUBLIC_URL"}
    app = make_console(**settings)
    app.test_client().post("/api/v1/alertmanager/webhook", json=notification(),
                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert notifier(app).wait_idle(10)
    inbox, _ = smtp
    assert "Acknowledge" not in inbox.messages[0].text.replace("=\r\n", "") and "Acknowledge" not in chat.posts[0]["text"]
