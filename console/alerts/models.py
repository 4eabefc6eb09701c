"""The on-call tables: incidents, their alerts, their timeline, and notification deliveries."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.store.models import Base, UTCDateTime, utcnow

__all__ = ["AckLink", "Delivery", "EscalationStep", "Incident", "IncidentAlert", "IncidentEvent", "web_link"]

# annotations the incident page shows in places of their own (a runbook_url too, when it is a link)
SHOWN_ANNOTATIONS = frozenset({"summary", "description"})


def web_link(value: str) -> str | None:
    """``value`` when it is an http(s) URL a page may link to, else None: an alert's text comes from rule authors
    and from whoever holds the webhook's token, and a ``javascript:`` link must never reach a page."""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


class Incident(Base):
    """One Alertmanager group (``group_key``) as something a person must answer."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_status_opened_at", "status", "opened_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # group keys can be long; uniqueness is on their SHA-256, which every database indexes alike
    group_hash: Mapped[str] = mapped_column(String(64), unique=True)
    group_key: Mapped[str] = mapped_column(Text)
    receiver: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16))  # open | acknowledged | resolved
    severity: Mapped[str] = mapped_column(String(32), default="")
    service: Mapped[str] = mapped_column(String(128), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # what the last notification said (alerts and their states), so a repeat is not a new one
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # the console user it was handed to (reassign); None until then
    assignee: Mapped[str | None] = mapped_column(String(64), nullable=True)

    alerts: Mapped[list[IncidentAlert]] = relationship(order_by="IncidentAlert.id", cascade="all, delete-orphan")
    events: Mapped[list[IncidentEvent]] = relationship(order_by="IncidentEvent.id", cascade="all, delete-orphan")

    def is_resolved(self) -> bool:
        """Whether nobody needs to act any more."""
        return self.status == "resolved"

    def __repr__(self) -> str:
        return f"Incident(id={self.id!r}, status={self.status!r}, severity={self.severity!r})"


class IncidentAlert(Base):
    """One alert of an incident, by Alertmanager's ``fingerprint``, as last reported."""

    __tablename__ = "incident_alerts"
    # by fingerprint alone: a regroup in Alertmanager finds which open incident holds an alert
    __table_args__ = (UniqueConstraint("incident_id", "fingerprint", name="uq_incident_alerts_fingerprint"),
                      Index("ix_incident_alerts_fingerprint", "fingerprint"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # firing | resolved
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    annotations: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    generator_url: Mapped[str] = mapped_column(Text, default="")

    @property
    def runbook_url(self) -> str | None:
        """The ``runbook_url`` annotation (the convention of Prometheus' alerting mixins), when it is a web link."""
        return web_link(self.annotations.get("runbook_url", ""))

    @property
    def expression_url(self) -> str | None:
        """Prometheus' page of the alert's expression, when the generator URL is a web link."""
        return web_link(self.generator_url)

    def other_annotations(self) -> list[tuple[str, str, str | None]]:
        """The annotations besides summary, description and a linked runbook: (name, text, the text as a link or
        None)."""
        shown = SHOWN_ANNOTATIONS | ({"runbook_url"} if self.runbook_url else set())
        return [(name, text, web_link(text)) for name, text in sorted(self.annotations.items()) if name not in shown]


class IncidentEvent(Base):
    """A line of an incident's timeline: received, notified, delivery_failed, acknowledged, resolved, note, ..."""

    __tablename__ = "incident_events"
    __table_args__ = (Index("ix_incident_events_incident_id", "incident_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Delivery(Base):
    """One notification of one incident content to one channel; unique so a repeat never sends twice."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (UniqueConstraint("incident_id", "channel", "content_hash", name="uq_deliveries_content"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))  # email | chat
    target: Mapped[str] = mapped_column(String(255))  # where, with secrets left out
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AckLink(Base):
    """A link that acknowledges one incident without a login: only the SHA-256 of its nonce is kept, and
    ``used_at`` makes it single-use (the link itself is signed and carries its expiry)."""

    __tablename__ = "ack_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    used_from: Mapped[str | None] = mapped_column(String(64), nullable=True)


class EscalationStep(Base):
    """One planned step of an incident's escalation: due at ``due_at``; pending, sending, sent, failed or cancelled.

    Kept in the database, so a console that restarts (or another one sharing the database) takes the timers up."""

    __tablename__ = "escalation_steps"
    __table_args__ = (Index("ix_escalation_steps_state_due_at", "state", "due_at"),
                      UniqueConstraint("incident_id", "round", "step", name="uq_escalation_steps_step"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    policy: Mapped[str] = mapped_column(String(100))
    round: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    target: Mapped[dict[str, Any]] = mapped_column(JSON)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
