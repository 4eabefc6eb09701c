"""Helpers of the on-call tests: what the SMTP server and the chat server record, and the console's settings."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller

TOKEN = "alertmanager-shared-secret"


@dataclass
class Mail:
    """A message the SMTP server accepted, and when (``time.time()``)."""

    at: float
    sender: str
    recipients: list[str]
    text: str


@dataclass
class Inbox:
    """The aiosmtpd handler: keeps every accepted message; ``answers`` queues refusals such as "451 later"."""

    messages: list[Mail] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        if self.answers:
            return self.answers.pop(0)
        self.messages.append(Mail(time.time(), envelope.mail_from, list(envelope.rcpt_tos),
                                  envelope.content.decode("utf-8", "replace")))
        return "250 Message accepted for delivery"


@dataclass
class ChatRoom:
    """What our chat webhook server received; ``statuses`` queues answers other than 200."""

    posts: list[dict] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    url: str = ""
    # each accepted post as it came: its headers and its body byte for byte (what a signature covers)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


class SmtpServer(Controller):
    """aiosmtpd's threaded server, closing the connections still open when it stops: ``Controller.stop``
    only cancels their tasks and leaves each socket for the garbage collector, which warns about it
    during whichever later test it happens to run in."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sessions = []

    def factory(self):
        session = super().factory()
        self.sessions.append(session)
        return session

    def stop(self, no_assert: bool = False):
        closed = threading.Event()

        def close_connections():
            for session in self.sessions:
                if session.transport is not None:
                    session.transport.close()
            closed.set()

        # closing happens on the server's loop; the loop's next turn, before it stops, releases the sockets
        self.loop.call_soon_threadsafe(close_connections)
        closed.wait(5)
        super().stop(no_assert)


def oncall_settings(smtp, chat, token: str = TOKEN) -> dict:
    """Settings of a console whose webhook takes ``token`` and whose incidents go to ``smtp`` and ``chat``."""
    _, port = smtp
    return {"ALERTMANAGER_TOKEN": token, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port,
            "SMTP_FROM": "opsconsole@example.test", "SMTP_TO": "oncall@example.test",
            "CHAT_WEBHOOK_URL": chat.url, "PUBLIC_URL": "http://console.test"}
