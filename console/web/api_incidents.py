"""``/api/v1/alertmanager/webhook`` and ``/api/v1/incidents``: Alertmanager in, incidents out.

The webhook takes only the bearer token of ``ALERTMANAGER_TOKEN`` (401 otherwise), a version 4
payload (400 otherwise, nothing stored) of at most ``WEBHOOK_MAX_BYTES`` (413). Viewers read
incidents; operators acknowledge, resolve and add notes.
"""
from __future__ import annotations

import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from console import alerts, store
from console.alerts import incidents
from console.alerts.receive import Webhook
from console.store import utcnow
from console.web.apiroutes import (ApiError, area_blueprint, audit_skip, audit_target, audit_within, current_principal,
                                   route)
from console.web.dashboard_models import NAME

bp = area_blueprint("incidents")

MAX_ID = 2**63 - 1


class WebhookAccepted(BaseModel):
    """What a notification did: its incident, and whether it was new or changed anything."""

    incident_id: int
    status: str
    created: bool
    changed: bool


class AlertOut(BaseModel):
    """An alert of an incident as Alertmanager last reported it."""

    model_config = ConfigDict(from_attributes=True)

    fingerprint: str
    status: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None
    labels: dict[str, str]
    annotations: dict[str, str]
    generator_url: str


class EventOut(BaseModel):
    """A line of the timeline."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime.datetime
    kind: str
    actor: str
    text: str
    detail: dict[str, Any] | None


class IncidentOut(BaseModel):
    """An incident in a list."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    severity: str
    service: str
    summary: str
    labels: dict[str, str]
    receiver: str
    opened_at: datetime.datetime
    updated_at: datetime.datetime
    acknowledged_at: datetime.datetime | None
    acknowledged_by: str | None
    resolved_at: datetime.datetime | None
    resolved_by: str | None
    assignee: str | None


class IncidentDetail(IncidentOut):
    """An incident with its alerts and its timeline."""

    alerts: list[AlertOut]
    events: list[EventOut]


class IncidentList(BaseModel):
    """Incidents: open first, then acknowledged, then resolved; worst severity first within each."""

    items: list[IncidentOut]
    total: int = Field(description="how many incidents match the query; items holds the first `limit` of them")


class IncidentQuery(BaseModel):
    """Which incidents to list."""

    status: Literal["open", "acknowledged", "resolved"] | None = None
    service: str | None = Field(default=None, pattern=NAME)
    limit: int = Field(default=100, ge=1, le=500)


class NoteIn(BaseModel):
    """A note for the timeline."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"text": "rolled back payments"}]})

    text: str = Field(min_length=1, max_length=5000)


class ReassignIn(BaseModel):
    """Whom to hand the incident to (a console user), and why."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"to": "bob", "note": "payments is bob's team, handing over"}]})

    to: str = Field(min_length=1, max_length=64)
    note: str = Field(default="", max_length=2000)


@route(bp, "POST", "/alertmanager/webhook", token="ALERTMANAGER_TOKEN", body=Webhook, response=WebhookAccepted,
       max_bytes="WEBHOOK_MAX_BYTES", invalid_status=400, tag="on-call",
       summary="Alertmanager's webhook (payload version 4): opens or updates the group's incident, idempotently")
def webhook(body: Webhook):
    """Fold the notification into its incident; notify only when its content changed."""
    db = store.session()

    def audited(outcome: alerts.Outcome) -> None:
        # the audit line commits with the change: one write per notification, at thousands of alerts a second
        audit_within(db, f"incident:{outcome.incident.id}", {"changed": True, "alerts": len(body.alerts)})

    outcome = alerts.ingest(db, body, on_change=audited)
    if not outcome.changed:
        # Alertmanager repeats every group each repeat_interval: a repeat changes nothing worth an audit line
        audit_skip()
    return WebhookAccepted(incident_id=outcome.incident.id, status=outcome.incident.status,
                           created=outcome.created, changed=outcome.changed)


@route(bp, "GET", "/incidents", role="viewer", query=IncidentQuery, response=IncidentList, tag="on-call",
       summary="Incidents, open first and worst severity first")
def list_incidents(query: IncidentQuery):
    """The incidents, in the order someone on call works through them."""
    listed = incidents.listing(store.session(), status=query.status, service=query.service, limit=query.limit)
    return IncidentList(items=[IncidentOut.model_validate(r) for r in listed.items], total=listed.total)


@route(bp, "GET", "/incidents/<int:incident_id>", role="viewer", response=IncidentDetail, tag="on-call",
       summary="An incident with its alerts and timeline")
def get_incident(incident_id: int):
    """One incident in full."""
    return IncidentDetail.model_validate(_get(incident_id))


@route(bp, "POST", "/incidents/<int:incident_id>/ack", role="operator", response=IncidentDetail, errors=(409,),
       tag="on-call", summary="Acknowledge an open incident")
def ack(incident_id: int):
    """Take the incident; 409 unless it is open."""
    audit_target(f"incident:{incident_id}")
    _get(incident_id)
    return IncidentDetail.model_validate(incidents.acknowledge(
        store.session(), incident_id, actor=current_principal().name, now=utcnow()))


@route(bp, "POST", "/incidents/<int:incident_id>/resolve", role="operator", response=IncidentDetail,
       errors=(409,), tag="on-call", summary="Resolve an incident by hand")
def resolve(incident_id: int):
    """Close the incident; 409 when it is already resolved."""
    audit_target(f"incident:{incident_id}")
    _get(incident_id)
    return IncidentDetail.model_validate(incidents.resolve(
        store.session(), incident_id, actor=current_principal().name, now=utcnow()))


@route(bp, "POST", "/incidents/<int:incident_id>/reassign", role="operator", body=ReassignIn, response=IncidentDetail,
       errors=(409, 422), tag="on-call", summary="Hand an incident to another console user")
def reassign(incident_id: int, body: ReassignIn):
    """Assign the incident to ``to``; 422 for a user that does not exist, 409 when resolved or already theirs."""
    audit_target(f"incident:{incident_id}", {"to": body.to})
    _get(incident_id)
    try:
        return IncidentDetail.model_validate(incidents.reassign(
            store.session(), incident_id, to=body.to, note=body.note, actor=current_principal().name, now=utcnow()))
    except incidents.UnknownUser as e:
        raise ApiError(422, "unknown_user", str(e)) from e


@route(bp, "POST", "/incidents/<int:incident_id>/notes", role="operator", body=NoteIn, response=EventOut,
       status=201, tag="on-call", summary="Add a note to an incident's timeline")
def add_note(incident_id: int, body: NoteIn):
    """Write the note on the timeline."""
    audit_target(f"incident:{incident_id}")
    _get(incident_id)
    return EventOut.model_validate(incidents.add_note(
        store.session(), incident_id, text=body.text, actor=current_principal().name, now=utcnow()))


def _get(incident_id: int):
    # ids beyond a BIGINT cannot exist, and would overflow the database driver
    if incident_id > MAX_ID:
        raise ApiError(404, "not_found", f"no incident {incident_id}")
    try:
        return incidents.get(store.session(), incident_id)
    except incidents.IncidentNotFound as e:
        raise ApiError(404, "not_found", str(e)) from e
