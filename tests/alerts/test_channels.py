"""The channels against real peers: aiosmtpd for email, our loopback HTTP server for chat and the signed webhook."""
from __future__ import annotations

import time

import pytest

from console.alerts.notify import ChatChannel, EmailChannel, Message, WebhookChannel, channels
from console.alerts.notify.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify
from console.errors import ConfigError, NotifyError
from kit import free_port


MESSAGE = Message(subject="[FIRING:1] payments fails", text="Incident #1: payments fails\n")


def email(port: int, **kwargs) -> EmailChannel:
    return EmailChannel(host="127.0.0.1", port=port, sender="opsconsole@example.test",
                        recipients=("a@example.test", "b@example.test"), timeout=5, **kwargs)


def test_it_mails_every_recipient(smtp):
    inbox, port = smtp
    email(port).send(MESSAGE)
    [mail] = inbox.messages
    assert mail.sender == "opsconsole@example.test" and mail.recipients == ["a@example.test", "b@example.test"]
    assert "Subject: [FIRING:1] payments fails" in mail.text and "Incident #1" in mail.text


@pytest.mark.parametrize("answer, permanent", [
    pytest.param("451 4.3.0 try again later", False, id="4xx is transient"),
    pytest.param("554 5.7.1 rejected", True, id="5xx is permanent"),
])
def test_it_tells_transient_from_permanent_smtp_refusals(smtp, answer, permanent):
    inbox, port = smtp
    inbox.answers.append(answer)
    with pytest.raises(NotifyError) as refused:
        email(port).send(MESSAGE)
    assert refused.value.permanent is permanent and answer.split()[0] in refused.value.detail


def test_it_calls_an_unreachable_smtp_server_transient():
    with pytest.raises(NotifyError) as refused:
        email(free_port()).send(MESSAGE)
    assert refused.value.permanent is False and "127.0.0.1" in refused.value.detail


def test_it_refuses_starttls_from_a_server_without_it(smtp):
    _, port = smtp
    with pytest.raises(NotifyError):
        email(port, starttls=True).send(MESSAGE)


def test_it_posts_slack_compatible_text(chat):
    ChatChannel(chat.url, timeout=5).send(MESSAGE)
    assert chat.posts == [{"text": "*[FIRING:1] payments fails*\nIncident #1: payments fails\n"}]
    assert chat.paths == ["/hooks/secret-path-xyz"]


@pytest.mark.parametrize("status, permanent", [(500, False), (503, False), (429, False), (404, True), (400, True)])
def test_it_tells_transient_from_permanent_chat_refusals(chat, status, permanent):
    chat.statuses.append(status)
    with pytest.raises(NotifyError) as refused:
        ChatChannel(chat.url, timeout=5).send(MESSAGE)
    assert refused.value.permanent is permanent
    # the webhook's path is its secret: it appears neither in the error nor in the target
    assert "secret-path-xyz" not in str(refused.value)
    assert "secret-path-xyz" not in ChatChannel(chat.url).target


def test_it_calls_an_unreachable_chat_server_transient():
    with pytest.raises(NotifyError) as refused:
        ChatChannel(f"http://127.0.0.1:{free_port()}/hooks/secret-path-xyz", timeout=2).send(MESSAGE)
    assert refused.value.permanent is False and "secret-path-xyz" not in str(refused.value)


SECRET = "a-webhook-secret-of-ours"
OPENSSL_DIGEST = "e4f8e2ecae2295b2ddb2f0b5584c8275e226c0ebe9b3b819e70156bb67122e3e"


def test_it_signs_the_incident_it_posts_so_the_receiver_can_tell_it_is_ours(chat):
    incident = {"id": 1, "status": "open", "alerts": [{"labels": {"alertname": "PaymentsErrors"}}]}
    WebhookChannel(chat.url, SECRET, timeout=5).send(Message(MESSAGE.subject, MESSAGE.text, incident))
    (headers, body), = chat.received
    assert chat.posts == [{"subject": MESSAGE.subject, "text": MESSAGE.text, "incident": incident}]
    stamp, signature = headers[TIMESTAMP_HEADER.lower()], headers[SIGNATURE_HEADER.lower()]
    now = time.time()
    assert verify(SECRET, stamp, signature, body, now=now)
    assert not verify("another-secret-entirely", stamp, signature, body, now=now)
    assert not verify(SECRET, stamp, signature, body.replace(b"open", b"shut"), now=now)
    # the timestamp is signed too: an old request cannot be replayed, nor its stamp refreshed
    assert not verify(SECRET, stamp, signature, body, now=now + 301)
    assert not verify(SECRET, str(int(stamp) + 60), signature, body, now=now)
    assert not verify(SECRET, None, signature, body, now=now)


def test_it_signs_as_documented():
    # HMAC-SHA256 of "1700000000.{}" under "0123456789abcdef":
    # printf '1700000000.{}' | openssl dgst -sha256 -hmac 0123456789abcdef
    assert sign("0123456789abcdef", 1700000000, b"{}") == f"sha256={OPENSSL_DIGEST}"


@pytest.mark.parametrize("status, permanent", [(500, False), (429, False), (400, True), (401, True)])
def test_it_tells_transient_from_permanent_webhook_refusals(chat, status, permanent):
    chat.statuses.append(status)
    with pytest.raises(NotifyError) as refused:
        WebhookChannel(chat.url + "?token=query-secret", SECRET, timeout=5).send(MESSAGE)
    assert refused.value.permanent is permanent and "query-secret" not in str(refused.value)


@pytest.mark.parametrize("settings, field", [
    ({"NOTIFY_WEBHOOK_URL": "http://127.0.0.1:9/hook", "NOTIFY_WEBHOOK_SECRET": "short"}, "NOTIFY_WEBHOOK_SECRET"),
    ({"NOTIFY_WEBHOOK_URL": "ftp://example.test/hook", "NOTIFY_WEBHOOK_SECRET": SECRET}, "NOTIFY_WEBHOOK_URL"),
])
def test_it_refuses_a_webhook_it_could_not_sign_or_reach(settings, field):
    with pytest.raises(ConfigError) as refused:
        channels(settings)
    assert refused.value.key == field
