"""Incidents as people handle them: list (open first, worst first), read, acknowledge, reassign, resolve, annotate."""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from console.alerts.models import Incident, IncidentAlert, IncidentEvent
from console.alerts.receive import MOVED
from console.errors import Conflict, OpsError
from console.store.models import User

__all__ = ["SEVERITY_RANK", "STATUSES", "IncidentNotFound", "Listing", "UnknownUser", "acknowledge", "add_note", "get",
           "listing",
           "moved_to", "of_service", "reassign", "record_silence", "record_unsilence", "resolve"]

STATUSES = ("open", "acknowledged", "resolved")
# worst first; a severity we do not know sorts after these. "page" and "ticket" are the names our own rules
# (rules/alerts, the SLOs' burn-rate alerts) use: a page ranks with critical, a ticket with warning
SEVERITY_RANK = {"critical": 0, "page": 0, "error": 1, "warning": 2, "ticket": 2, "info": 3}


class IncidentNotFound(OpsError, LookupError):
    """No incident has this id."""

    def __init__(self, incident_id: int):
        super().__init__(f"no incident {incident_id}")
        self.incident_id = incident_id


class UnknownUser(OpsError, LookupError):
    """No active console user has this name."""

    def __init__(self, name: str):
        super().__init__(f"no active user named {name}")
        self.name = name


class Listing(NamedTuple):
    """The first incidents of a listing, and how many match in all."""

    items: list[Incident]
    total: int


def listing(db: Session, *, status: str | None = None, service: str | None = None, limit: int = 100) -> Listing:
    """Incidents open first, then acknowledged, then resolved; within each the worst severity, then newest;
    of one ``status`` or ``service`` when given; at most ``limit``, with how many match in all."""
    by_status = case({s: n for n, s in enumerate(STATUSES)}, value=Incident.status, else_=len(STATUSES))
    by_severity = case(SEVERITY_RANK, value=Incident.severity, else_=max(SEVERITY_RANK.values()) + 1)
    query = select(Incident).order_by(by_status, by_severity, Incident.opened_at.desc(), Incident.id.desc())
    items = list(db.scalars(_of(query, status, service).limit(limit)))
    # counted only when the page is full: a shorter one holds them all
    total = len(items) if len(items) < limit else db.scalar(_of(select(func.count(Incident.id)), status, service))
    return Listing(items, total)


def _of(query, status: str | None, service: str | None):
    if status is not None:
        query = query.where(Incident.status == status)
    if service is not None:
        query = query.where(Incident.service == service)
    return query


def of_service(db: Session, service: str, start: datetime, end: datetime, *, limit: int = 20) -> list[Incident]:
    """The incidents of ``service`` open at some moment of [start, end], newest first."""
    query = (select(Incident).where(Incident.service == service, Incident.opened_at <= end,
                                    (Incident.resolved_at.is_(None)) | (Incident.resolved_at >= start))
             .order_by(Incident.opened_at.desc(), Incident.id.desc()).limit(limit))
    return list(db.scalars(query))


def moved_to(db: Session, incident: Incident) -> dict[str, int]:
    """Where each of the incident's moved alerts went: the newest other incident holding it, by fingerprint."""
    moved = [a.fingerprint for a in incident.alerts if a.status == MOVED]
    if not moved:
        return {}
    rows = db.execute(select(IncidentAlert.fingerprint, IncidentAlert.incident_id)
                      .where(IncidentAlert.fingerprint.in_(moved), IncidentAlert.incident_id != incident.id,
                             IncidentAlert.status != MOVED)
                      .order_by(IncidentAlert.incident_id))
    return {fingerprint: incident_id for fingerprint, incident_id in rows}


def get(db: Session, incident_id: int) -> Incident:
    """The incident, with its alerts and timeline; ``IncidentNotFound`` otherwise."""
    incident = db.get(Incident, incident_id)
    if incident is None:
        raise IncidentNotFound(incident_id)
    return incident


def acknowledge(db: Session, incident_id: int, *, actor: str, now: datetime) -> Incident:
    """Mark an open incident as taken by ``actor``; 409 (``Conflict``) unless it is open."""
    incident = get(db, incident_id)
    if incident.status != "open":
        raise Conflict(f"incident {incident_id}", f"is {incident.status}, only an open incident can be acknowledged")
    incident.status, incident.acknowledged_at, incident.acknowledged_by = "acknowledged", now, actor
    _event(incident, "acknowledged", actor, now)
    db.commit()
    return incident


def resolve(db: Session, incident_id: int, *, actor: str, now: datetime) -> Incident:
    """Close an incident by hand; ``Conflict`` when it is already resolved."""
    incident = get(db, incident_id)
    if incident.is_resolved():
        raise Conflict(f"incident {incident_id}", "is already resolved")
    incident.status, incident.resolved_at, incident.resolved_by = "resolved", now, actor
    _event(incident, "resolved", actor, now)
    db.commit()
    return incident


def reassign(db: Session, incident_id: int, *, to: str, note: str, actor: str, now: datetime) -> Incident:
    """Hand the incident to the console user ``to``; ``UnknownUser`` if there is no such active user,
    ``Conflict`` when it is resolved or already theirs."""
    incident = get(db, incident_id)
    user = db.scalar(select(User).where(User.name == to))
    if user is None or user.disabled:
        raise UnknownUser(to)
    if incident.is_resolved():
        raise Conflict(f"incident {incident_id}", "is resolved: nobody needs to take it")
    if incident.assignee == to:
        raise Conflict(f"incident {incident_id}", f"is already assigned to {to}")
    incident.assignee = to
    _event(incident, "reassigned", actor, now, f"to {to}" + (f": {note}" if note else ""))
    db.commit()
    return incident


def add_note(db: Session, incident_id: int, *, text: str, actor: str, now: datetime) -> IncidentEvent:
    """Add a note by ``actor`` to the incident's timeline."""
    incident = get(db, incident_id)
    event = _event(incident, "note", actor, now, text)
    db.commit()
    return event


def record_silence(db: Session, incident_id: int, *, silence_id: str, until: datetime, actor: str,
                   now: datetime) -> IncidentEvent:
    """Write on the timeline that ``actor`` silenced the incident's alerts until ``until``."""
    incident = get(db, incident_id)
    text = f"silenced by {actor} until {until:%Y-%m-%d %H:%M} UTC ({silence_id})"
    event = _event(incident, "silenced", actor, now, text, {"silence_id": silence_id, "until": until.isoformat()})
    db.commit()
    return event


def record_unsilence(db: Session, incident_id: int, *, silence_id: str, actor: str, now: datetime) -> IncidentEvent:
    """Write on the timeline that ``actor`` expired the silence ``silence_id``."""
    event = _event(get(db, incident_id), "unsilenced", actor, now, f"silence {silence_id} expired by {actor}",
                   {"silence_id": silence_id})
    db.commit()
    return event


def _event(incident: Incident, kind: str, actor: str, now: datetime, text: str = "",
           detail: dict | None = None) -> IncidentEvent:
    event = IncidentEvent(at=now, kind=kind, actor=actor, text=text, detail=detail)
    incident.events.append(event)
    incident.updated_at = now
    return event
