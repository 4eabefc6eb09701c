"""Delivery of incidents to on-call channels: email (SMTP), chat (incoming webhook) and a signed webhook.

``channels(config)`` builds the configured channels (none when nothing is set); the pipeline
plans, sends, retries and records.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from console.alerts.notify.chat import ChatChannel
from console.alerts.notify.email import EmailChannel
from console.alerts.notify.pipeline import Channel, Message, Notifier, compose, plan
from console.alerts.notify.retry import Backoff, send_with_retry
from console.alerts.notify.webhook import WebhookChannel
from console.errors import ConfigError

__all__ = ["Backoff", "Channel", "ChatChannel", "EmailChannel", "Message", "Notifier", "WebhookChannel", "backoff",
           "channels", "compose", "plan", "send_with_retry"]


def channels(config: Mapping[str, Any]) -> list[Channel]:
    """The channels ``config`` sets up: email when ``SMTP_HOST`` is set, chat when ``CHAT_WEBHOOK_URL`` is, the
    signed webhook when ``NOTIFY_WEBHOOK_URL`` is (with ``NOTIFY_WEBHOOK_SECRET``)."""
    found: list[Channel] = []
    timeout = float(config.get("NOTIFY_TIMEOUT", 10.0))
    if config.get("SMTP_HOST"):
        recipients = tuple(r.strip() for r in str(config.get("SMTP_TO", "")).split(",") if r.strip())
        if not recipients:
            raise ConfigError("SMTP_TO", "SMTP_HOST is set but nobody to mail: give a comma-separated list")
        if not config.get("SMTP_FROM"):
            raise ConfigError("SMTP_FROM", "SMTP_HOST is set but no sender address")
        found.append(EmailChannel(
            host=str(config["SMTP_HOST"]), port=_int("SMTP_PORT", config.get("SMTP_PORT", 25)),
            sender=str(config["SMTP_FROM"]), recipients=recipients, starttls=_flag(config.get("SMTP_STARTTLS")),
            username=str(config.get("SMTP_USER") or ""), password=str(config.get("SMTP_PASSWORD") or ""),
            timeout=timeout))
    if config.get("CHAT_WEBHOOK_URL"):
        url = str(config["CHAT_WEBHOOK_URL"])
        if not url.startswith(("http://", "https://")):
            raise ConfigError("CHAT_WEBHOOK_URL", "must be an http(s) URL")
        found.append(ChatChannel(url=url, timeout=timeout))
    if config.get("NOTIFY_WEBHOOK_URL"):
        try:
            found.append(WebhookChannel(url=str(config["NOTIFY_WEBHOOK_URL"]),
                                        secret=str(config.get("NOTIFY_WEBHOOK_SECRET") or ""), timeout=timeout))
        except ValueError as e:
            raise ConfigError("NOTIFY_WEBHOOK_SECRET" if "secret" in str(e) else "NOTIFY_WEBHOOK_URL", str(e)) from e
    return found


def backoff(config: Mapping[str, Any]) -> Backoff:
    """The retry policy of ``NOTIFY_ATTEMPTS`` and ``NOTIFY_BACKOFF`` (first wait, seconds)."""
    try:
        return Backoff(attempts=_int("NOTIFY_ATTEMPTS", config.get("NOTIFY_ATTEMPTS", 3)),
                       base=float(config.get("NOTIFY_BACKOFF", 1.0)))
    except ValueError as e:
        raise ConfigError("NOTIFY_ATTEMPTS", str(e)) from e


def _int(key: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as e:
        raise ConfigError(key, f"not a whole number: {value!r}") from e


def _flag(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on")
