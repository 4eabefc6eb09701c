"""The channels against real peers: aiosmtpd for email, our loopback HTTP server for chat."""
from __future__ import annotations

import pytest

from console.alerts.notify import ChatChannel, EmailChannel, Message
from console.errors import NotifyError

from alertkit import free_port

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
