"""Alertmanager's webhook (payload version 4): validate it, then fold it into an incident idempotently.

``parse`` is pure. ``upsert`` finds the incident of the payload's ``groupKey`` (or opens one),
updates its alerts by ``fingerprint`` and its state, and says whether the content changed:
Alertmanager's retries and repeats carry the same content, so they change nothing and notify
nobody. The content is the set of (fingerprint, status) pairs; its hash is chained to the one
before, so an alert that resolves and fires again is new content, not a repeat of the first.

When Alertmanager regroups (its ``group_by`` changed), the old group never sends again, not even
resolved: an open incident of the same route and receiver that still holds one of the payload's
firing alerts hands it over (``moved``), and ends once none of its own is firing.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from console.alerts.models import Incident, IncidentAlert, IncidentEvent
from console.errors import UsageProblem

__all__ = ["ACTOR", "MOVED", "Outcome", "PayloadInvalid", "Webhook", "WebhookAlert", "content_hash", "group_hash", "parse",
           "states", "upsert"]

ACTOR = "alertmanager"
MOVED = "moved"  # an alert's state in an incident it left for the group Alertmanager put it in since
# Go's zero time: Alertmanager's endsAt of an alert that has no end yet
GO_ZERO_YEAR = 1


class WebhookAlert(BaseModel):
    """One alert of a notification."""

    model_config = ConfigDict(populate_by_name=True)

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = {}
    starts_at: AwareDatetime = Field(alias="startsAt")
    ends_at: AwareDatetime | None = Field(default=None, alias="endsAt")
    generator_url: str = Field(default="", alias="generatorURL", max_length=4096)
    fingerprint: str = Field(min_length=1, max_length=64)

    @field_validator("ends_at")
    @classmethod
    def _no_zero_time(cls, value: datetime | None) -> datetime | None:
        return None if value is not None and value.year == GO_ZERO_YEAR else value


class Webhook(BaseModel):
    """A notification from Alertmanager's ``webhook_configs`` receiver, payload version 4."""

    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"examples": [{
        "version": "4", "groupKey": '{}:{alertname="HighErrorRate"}', "truncatedAlerts": 0, "status": "firing",
        "receiver": "opsconsole", "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": {"alertname": "HighErrorRate", "service": "payments", "severity": "critical"},
        "commonAnnotations": {"summary": "payments fails half its requests"},
        "externalURL": "http://127.0.0.1:9093",
        "alerts": [{"status": "firing", "labels": {"alertname": "HighErrorRate", "service": "payments",
                                                   "severity": "critical"},
                    "annotations": {"summary": "payments fails half its requests"},
                    "startsAt": "2026-12-01T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://127.0.0.1:9090/graph", "fingerprint": "5ad9ce5c2c7e3b1f"}],
    }]})

    version: Literal["4"]
    group_key: str = Field(alias="groupKey", min_length=1, max_length=8192)
    truncated_alerts: int = Field(default=0, alias="truncatedAlerts", ge=0)
    status: Literal["firing", "resolved"]
    receiver: str = Field(default="", max_length=255)
    group_labels: dict[str, str] = Field(default={}, alias="groupLabels")
    common_labels: dict[str, str] = Field(default={}, alias="commonLabels")
    common_annotations: dict[str, str] = Field(default={}, alias="commonAnnotations")
    external_url: str = Field(default="", alias="externalURL")
    alerts: list[WebhookAlert] = Field(min_length=1)


class PayloadInvalid(UsageProblem):
    """A webhook body that is not a version 4 Alertmanager payload; ``problems`` says where."""

    def __init__(self, problems: list[dict]):
        super().__init__("not an Alertmanager webhook payload (version 4): "
                         + "; ".join(f"{'.'.join(map(str, p['loc']))}: {p['msg']}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Outcome:
    """What a payload did: the incident, whether it is new, and whether its content changed (so: notify)."""

    incident: Incident
    created: bool
    changed: bool


def parse(data: object) -> Webhook:
    """The payload in decoded JSON ``data``; ``PayloadInvalid`` naming every problem otherwise."""
    try:
        return Webhook.model_validate(data)
    except ValidationError as e:
        problems = e.errors(include_url=False, include_input=False, include_context=False)
        raise PayloadInvalid([{**p, "loc": list(p["loc"])} for p in problems]) from e


def group_hash(group_key: str) -> str:
    """The stored key of a group: SHA-256 of Alertmanager's ``groupKey``."""
    return hashlib.sha256(group_key.encode()).hexdigest()


def states(alerts: list[IncidentAlert]) -> list[tuple[str, str]]:
    """What a notification about these alerts would say: their fingerprints and states, sorted."""
    return sorted((a.fingerprint, a.status) for a in alerts)


def content_hash(previous: str, states: list[tuple[str, str]]) -> str:
    """The hash of the alerts' ``states``, chained to the ``previous`` content's."""
    return hashlib.sha256((previous + json.dumps(states)).encode()).hexdigest()


def upsert(db: Session, hook: Webhook, now: datetime) -> Outcome:
    """Fold ``hook`` into its incident (not committed); a repeat of known content changes nothing."""
    key = group_hash(hook.group_key)
    incident = db.scalars(select(Incident).where(Incident.group_hash == key)).one_or_none()
    if incident is None:
        outcome = _open(db, hook, key, now)
        _take_over(db, outcome.incident, hook, now)
        return outcome
    before = states(incident.alerts)
    known = {a.fingerprint: a for a in incident.alerts}
    for alert in hook.alerts:
        row = known.get(alert.fingerprint)
        if row is None:
            row = known[alert.fingerprint] = IncidentAlert(fingerprint=alert.fingerprint)
            incident.alerts.append(row)
        for column, value in _columns(alert).items():
            setattr(row, column, value)
    after = states(incident.alerts)
    if after == before:
        return Outcome(incident, created=False, changed=False)
    _changed(incident, hook, after, now)
    _take_over(db, incident, hook, now)
    return Outcome(incident, created=False, changed=True)


def route_of(group_key: str) -> str:
    """The route part of Alertmanager's ``groupKey`` (``<route>:<group labels>``)."""
    return group_key.rsplit(":{", 1)[0]


def _take_over(db: Session, incident: Incident, hook: Webhook, now: datetime) -> None:
    firing = {a.fingerprint for a in hook.alerts if a.status == "firing"}
    if not firing:
        return
    holding = select(IncidentAlert.incident_id).where(IncidentAlert.fingerprint.in_(firing),
                                                      IncidentAlert.status == "firing")
    held = db.scalars(select(Incident).where(Incident.id.in_(holding), Incident.id != incident.id,
                                             Incident.status != "resolved", Incident.receiver == hook.receiver))
    # another route (a second receiver, a `continue`) holds the same alert by design: only a regroup moves it
    route = route_of(hook.group_key)
    for old in held.all():
        if route_of(old.group_key) != route:
            continue
        moved = [a for a in old.alerts if a.fingerprint in firing and a.status == "firing"]
        for alert in moved:
            alert.status = MOVED
        old.content_hash, old.updated_at = content_hash(old.content_hash, states(old.alerts)), now
        old.events.append(IncidentEvent(at=now, kind="regrouped", actor=ACTOR, detail={"to": incident.id},
                                        text=f"{len(moved)} alert(s) moved to incident #{incident.id}, "
                                             "where Alertmanager groups them now"))
        if not any(a.status == "firing" for a in old.alerts):
            old.status, old.resolved_at, old.resolved_by = "resolved", now, ACTOR
            old.events.append(IncidentEvent(at=now, kind="resolved", actor=ACTOR,
                                            text=f"its alerts went on in incident #{incident.id}"))


def _open(db: Session, hook: Webhook, key: str, now: datetime) -> Outcome:
    # A new group: its alerts go in with one multi-row insert rather than one ORM insert each (most of the
    # cost when a burst of new groups arrives). An alert named twice in one payload is stored once, as its
    # last mention says, as for a known group.
    latest = {alert.fingerprint: _columns(alert) for alert in hook.alerts}
    incident = Incident(group_hash=key, group_key=hook.group_key, receiver=hook.receiver, status="open",
                        content_hash="", opened_at=now, updated_at=now, events=[])
    _changed(incident, hook, sorted((f, c["status"]) for f, c in latest.items()), now)
    db.add(incident)
    db.flush()
    db.execute(insert(IncidentAlert), [{"incident_id": incident.id, "fingerprint": fingerprint, **columns}
                                       for fingerprint, columns in latest.items()])
    return Outcome(incident, created=True, changed=True)


def _columns(alert: WebhookAlert) -> dict:
    return {"status": alert.status, "starts_at": alert.starts_at, "ends_at": alert.ends_at, "labels": alert.labels,
            "annotations": alert.annotations, "generator_url": alert.generator_url}


def _changed(incident: Incident, hook: Webhook, now_states: list[tuple[str, str]], now: datetime) -> None:
    _describe(incident, hook)
    incident.content_hash, incident.updated_at = content_hash(incident.content_hash, now_states), now
    firing = sum(status == "firing" for _, status in now_states)
    incident.events.append(IncidentEvent(at=now, kind="received", actor=ACTOR, detail={
        "firing": firing, "resolved": len(now_states) - firing, "status": hook.status},
        text=f"{firing} firing, {len(now_states) - firing} resolved"))
    _follow(incident, firing, now)


def _describe(incident: Incident, hook: Webhook) -> None:
    labels = {**hook.common_labels}
    # described by the firing alert that started first (of all alerts once all resolved): the nearest to the
    # cause (payments failing before the orders that call it pass its errors on), and it stays put as more
    # join, where Alertmanager's order is by labels; a group of several services says how many more are
    # firing, so the list does not show one service where two are failing
    firing = [a for a in hook.alerts if a.status == "firing"]
    first = min(firing or hook.alerts, key=lambda a: a.starts_at)
    incident.labels = labels
    incident.severity = (labels.get("severity") or first.labels.get("severity", ""))[:32]
    incident.service = (labels.get("service") or first.labels.get("service", ""))[:128]
    summary = hook.common_annotations.get("summary")
    if not summary:
        summary = first.annotations.get("summary") or labels.get("alertname") or first.labels.get("alertname", "")
        if len(firing) > 1:
            summary += f" (and {len(firing) - 1} more firing)"
    incident.summary = summary


def _follow(incident: Incident, firing: int, now: datetime) -> None:
    # the incident's state follows its alerts: all resolved ends it, a new firing alert reopens it
    if firing == 0 and not incident.is_resolved():
        incident.status, incident.resolved_at, incident.resolved_by = "resolved", now, ACTOR
        incident.events.append(IncidentEvent(at=now, kind="resolved", actor=ACTOR, text="every alert resolved"))
    elif firing and incident.is_resolved():
        incident.status, incident.resolved_at, incident.resolved_by = "open", None, None
        incident.acknowledged_at = incident.acknowledged_by = None
        incident.events.append(IncidentEvent(at=now, kind="reopened", actor=ACTOR, text=f"{firing} firing again"))
