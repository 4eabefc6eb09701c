"""Chat through an incoming webhook (Slack and Mattermost both take ``{"text": ...}``), via ``console.http``."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from console.alerts.notify.pipeline import Message
from console.alerts.notify.posting import post

__all__ = ["ChatChannel"]

NAME = "chat"


@dataclass(frozen=True)
class ChatChannel:
    """Posts to the incoming-webhook ``url``; its path is a secret, so only scheme and host are ever shown."""

    url: str
    timeout: float = 10.0
    name: str = NAME

    @property
    def target(self) -> str:
        """Where it posts, with the secret path left out."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}/***"

    def send(self, message: Message) -> None:
        """Post the message; 5xx, 429 and unreachable are transient, other refusals permanent."""
        parts = urlsplit(self.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        post(NAME, self.url[: len(self.url) - len(path)] if path else self.url, path or "/", timeout=self.timeout,
             redact=self._redacted, json={"text": f"*{message.subject}*\n{message.text}"})

    def _redacted(self, detail: str) -> str:
        return detail.replace(self.url, self.target).replace(urlsplit(self.url).path, "/***")
