"""On-call: Alertmanager's webhook becomes incidents, and incidents reach people by email and chat.

``init_app`` sets up the app's notifier from its config; ``ingest`` is what the webhook does:
fold the payload into its incident, plan the deliveries a change calls for, commit both
together (so no notification is lost nor doubled), then hand the deliveries to the notifier.
"""
from __future__ import annotations

import atexit
import threading
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from console.alerts import ack, notify
from console.alerts.escalate import Escalator, schedule
from console.alerts.escalation import OnCallConfig, load_oncall
from console.alerts.evidence import Evidence, gather_evidence
from console.alerts.receive import Outcome, PayloadInvalid, Webhook, parse, upsert
from console.backends import get_backend
from console.errors import ConfigError
from console.store import utcnow
from console.telemetry import record_notification

__all__ = ["Outcome", "PayloadInvalid", "Webhook", "ack_signer", "escalator", "ingest",
           "init_app", "notifier", "oncall_config", "parse"]

EXTENSION = "opsconsole.alerts"
ACK_EXTENSION = "opsconsole.alerts.ack"
ESCALATION_EXTENSION = "opsconsole.alerts.escalation"


def init_app(app: Flask) -> None:
    """Build the app's notifier from ``SMTP_*``, ``CHAT_WEBHOOK_URL`` and ``NOTIFY_*``; a bad setting fails here.

    With ``PUBLIC_URL`` set, each notification links to the incident and carries an ack link valid for
    ``ACK_LINK_TTL`` seconds; unless ``NOTIFY_EVIDENCE`` is off, it carries the evidence too (chart, failing
    traces, top errors).
    """
    public = str(app.config.get("PUBLIC_URL") or "").rstrip("/")
    signer = ack.Signer(app.config["SECRET_KEY"], _seconds(app.config.get("ACK_LINK_TTL", 4 * 3600)))
    app.extensions[ACK_EXTENSION] = signer

    def ack_link(db: Session, incident, channel: str) -> str:
        return f"{public}/ack/{ack.issue(db, signer, incident.id, channel=channel, now=utcnow())}"

    def evidence(incident) -> Evidence:
        return gather_evidence(incident, prometheus=get_backend("prometheus"), jaeger=get_backend("jaeger"),
                               logs=get_backend("elasticsearch"), now=utcnow(),
                               timeout=float(app.config["BACKEND_TIMEOUT"]))

    enrich = str(app.config.get("NOTIFY_EVIDENCE", True)).lower() not in ("0", "false", "no", "off")
    app.extensions[EXTENSION] = (threading.Lock(), notify.Notifier(
        app, notify.channels(app.config), notify.backoff(app.config),
        link=(lambda incident_id: f"{public}/incidents/{incident_id}") if public else lambda _id: "",
        ack_link=ack_link if public else lambda db, incident, channel: "",
        evidence=evidence if enrich else lambda incident: None,
        trace_link=(lambda trace_id: f"{public}/traces/{trace_id}") if public else lambda _id: "",
        on_result=lambda channel, result: record_notification(app, channel, result)))
    # what a previous process planned but did not send goes out now: a restart loses no notification
    notifier(app).resume()
    policies_file = str(app.config.get("ONCALL_POLICIES") or "")
    oncall = load_oncall(Path(policies_file)) if policies_file else OnCallConfig()
    app.extensions[ESCALATION_EXTENSION] = (oncall, Escalator(
        app, notifier(app), notify.backoff(app.config), oncall,
        tick_s=_seconds(app.config.get("ESCALATION_TICK", 5.0), key="ESCALATION_TICK"),
        on_result=lambda channel, result: record_notification(app, channel, result)))
    if str(app.config.get("ESCALATION_LOOP", "")).lower() in ("1", "true", "yes", "on"):
        escalator(app).start()
        atexit.register(escalator(app).stop)


def escalator(app: Flask | None = None) -> Escalator:
    """The escalation timer of ``app`` (default: the current app)."""
    return (app or current_app).extensions[ESCALATION_EXTENSION][1]


def oncall_config(app: Flask | None = None) -> OnCallConfig:
    """The schedules and escalation policies of ``app`` (default: the current app)."""
    return (app or current_app).extensions[ESCALATION_EXTENSION][0]


def ack_signer(app: Flask | None = None) -> ack.Signer:
    """The signer of ``app``'s ack links (default: the current app)."""
    return (app or current_app).extensions[ACK_EXTENSION]


def _seconds(value, *, key: str = "ACK_LINK_TTL") -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError) as e:
        raise ConfigError(key, f"not a number of seconds: {value!r}") from e
    if seconds <= 0:
        raise ConfigError(key, "must be positive")
    return seconds


def notifier(app: Flask | None = None) -> notify.Notifier:
    """The notifier of ``app`` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION][1]


def ingest(db: Session, hook: Webhook, on_change: Callable[[Outcome], None] = lambda outcome: None) -> Outcome:
    """Store what ``hook`` says and send the notifications its change calls for, after the commit.

    ``on_change`` may add to ``db`` what should commit with a change (an audit line)."""
    lock, sender = current_app.extensions[EXTENSION]
    # one writer per group at a time in this process; another process racing us hits the unique key
    with lock:
        try:
            outcome, deliveries = _fold(db, hook, on_change)
        except IntegrityError:
            db.rollback()
            outcome, deliveries = _fold(db, hook, on_change)
    sender.submit(d.id for d in deliveries)
    return outcome


def _fold(db: Session, hook: Webhook, on_change: Callable[[Outcome], None]) -> tuple[Outcome, list]:
    now = utcnow()
    outcome = upsert(db, hook, now)
    deliveries = []
    if outcome.changed:
        db.flush()
        deliveries = notify.plan(db, outcome.incident, sender_channels(), now)
        schedule(db, outcome.incident, oncall_config().policies, now)
        on_change(outcome)
    db.commit()
    return outcome, deliveries


def sender_channels() -> list[notify.Channel]:
    """The channels of the current app's notifier."""
    return list(notifier().channels.values())
