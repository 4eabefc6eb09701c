"""A generic webhook: the incident as JSON, signed with HMAC-SHA256 so the receiver knows it came from us.

The signature covers ``"<timestamp>.<body>"`` (the way Stripe and Slack sign theirs), so a captured
request cannot be replayed later with a fresh timestamp; ``verify`` is what a receiver runs.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from console.alerts.notify.pipeline import Message
from console.alerts.notify.posting import post

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "WebhookChannel", "sign", "verify"]

NAME = "webhook"
SIGNATURE_HEADER = "X-Opsconsole-Signature"
TIMESTAMP_HEADER = "X-Opsconsole-Timestamp"
MIN_SECRET = 16


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of ``"<timestamp>.<body>"``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str | None, signature: str | None, body: bytes, *, now: float,
           tolerance: float = 300.0) -> bool:
    """Whether a received request is ours: the signature matches and the timestamp is within ``tolerance`` s."""
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    if abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


@dataclass(frozen=True)
class WebhookChannel:
    """Posts ``{subject, text, incident}`` to ``url`` with a timestamp and its HMAC signature."""

    url: str
    secret: str = field(repr=False)
    timeout: float = 10.0
    name: str = NAME

    def __post_init__(self):
        if not self.url.startswith(("http://", "https://")):
            raise ValueError("the webhook URL must be http(s)")
        if len(self.secret) < MIN_SECRET:
            raise ValueError(f"the webhook secret must be at least {MIN_SECRET} characters")

    @property
    def target(self) -> str:
        """Where it posts, without credentials or query (which may carry a token)."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"

    def send(self, message: Message) -> None:
        """Post the signed message; 5xx, 429 and unreachable are transient, other refusals permanent."""
        body = json.dumps({"subject": message.subject, "text": message.text, "incident": message.incident},
                          separators=(",", ":"), sort_keys=True).encode()
        stamp = int(time.time())
        parts = urlsplit(self.url)
        post(NAME, f"{parts.scheme}://{parts.netloc}", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
             timeout=self.timeout, redact=self._redacted, content=body, headers={
                 "Content-Type": "application/json", TIMESTAMP_HEADER: str(stamp),
                 SIGNATURE_HEADER: sign(self.secret, stamp, body)})

    def _redacted(self, detail: str) -> str:
        query = urlsplit(self.url).query
        return detail.replace(query, "***") if query else detail
