"""``/api/v1/silences``: Alertmanager's silences, made, listed and expired through the console.

A silence names who made it (the caller) and why (a required comment); made from an incident
(``incident_id``), it is also written on that incident's timeline.
"""
from __future__ import annotations

import datetime
import re
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from console import store
from console.alerts import incidents
from console.backends import get_backend
from console.backends.alertmanager import Matcher
from console.errors import BackendError
from console.store import utcnow
from console.web.apiroutes import ApiError, area_blueprint, audit_target, current_principal, route

bp = area_blueprint("silences")

LABEL_NAME = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
MAX_DURATION = 90 * 24 * 3600  # a silence longer than a quarter is forgotten, not maintained


class MatcherIn(BaseModel):
    """A label matcher: ``name`` equal (or not, ``isEqual``) to ``value``, or matching it as a regex."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=LABEL_NAME, max_length=256)
    value: str = Field(max_length=1024)
    isRegex: bool = False
    isEqual: bool = True

    def matches_empty(self) -> bool:
        """Whether a missing label would match (Alertmanager needs one matcher that does not)."""
        hit = re.fullmatch(self.value, "") is not None if self.isRegex else self.value == ""
        return hit == self.isEqual


class SilenceIn(BaseModel):
    """A new silence: matchers, how long (``duration`` seconds or ``endsAt``) and why."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "matchers": [{"name": "alertname", "value": "ExampleMaintenance", "isRegex": False, "isEqual": True}],
        "duration": 3600, "comment": "the example service is in maintenance"}]})

    matchers: list[MatcherIn] = Field(min_length=1, max_length=32)
    duration: Annotated[int, Field(ge=60, le=MAX_DURATION)] | None = None
    endsAt: AwareDatetime | None = None
    comment: str = Field(min_length=1, max_length=2000, pattern=r"\S")
    incident_id: int | None = Field(default=None, ge=1, le=2**63 - 1)

    @model_validator(mode="after")
    def _checked(self) -> SilenceIn:
        if (self.duration is None) == (self.endsAt is None):
            raise ValueError("give exactly one of duration and endsAt")
        for m in self.matchers:
            if m.isRegex:
                try:
                    re.compile(m.value)
                except re.error as e:
                    raise ValueError(f"matcher {m.name}: not a regular expression: {e}") from e
        if all(m.matches_empty() for m in self.matchers):
            raise ValueError("at least one matcher must not match a missing label")
        return self


class SilenceCreated(BaseModel):
    """The id Alertmanager gave the silence, and when it ends."""

    id: str
    endsAt: datetime.datetime


class SilenceOut(BaseModel):
    """A silence as Alertmanager keeps it, with who made it."""

    id: str
    state: str
    matchers: list[MatcherIn]
    startsAt: datetime.datetime
    endsAt: datetime.datetime
    createdBy: str
    comment: str


class SilenceList(BaseModel):
    """Every silence, active and pending first."""

    items: list[SilenceOut]


@route(bp, "POST", "/silences", role="operator", body=SilenceIn, response=SilenceCreated, status=201,
       errors=(404, 502, 503), tag="on-call", summary="Silence alerts in Alertmanager (optionally from an incident)")
def create(body: SilenceIn):
    """Make the silence in Alertmanager as the caller, and note it on the incident it came from."""
    now = utcnow()
    ends = body.endsAt or now + datetime.timedelta(seconds=body.duration or 0)
    if ends <= now:
        raise ApiError(422, "validation_failed", "endsAt is in the past")
    if body.incident_id is not None:
        _incident(body.incident_id)
    actor = current_principal().name
    matchers = [Matcher(m.name, m.value, m.isRegex, m.isEqual) for m in body.matchers]
    audit_target("silence", {"matchers": [m.as_dict() for m in matchers], "incident_id": body.incident_id})
    silence_id = get_backend("alertmanager").create_silence(matchers, now, ends, actor, body.comment)
    audit_target(f"silence:{silence_id}", {"matchers": [m.as_dict() for m in matchers],
                                           "incident_id": body.incident_id})
    if body.incident_id is not None:
        incidents.record_silence(store.session(), body.incident_id, silence_id=silence_id, until=ends, actor=actor,
                                 now=now)
    return SilenceCreated(id=silence_id, endsAt=ends)


@route(bp, "GET", "/silences", role="viewer", response=SilenceList, errors=(502, 503), tag="on-call",
       summary="Alertmanager's silences, with who made each")
def listing():
    """The silences, active and pending before expired, latest end first."""
    found = get_backend("alertmanager").silences()
    found.sort(key=lambda s: (s.state == "expired", -s.ends_at.timestamp()))
    return SilenceList(items=[SilenceOut(
        id=s.id, state=s.state, startsAt=s.starts_at, endsAt=s.ends_at, createdBy=s.created_by, comment=s.comment,
        matchers=[MatcherIn.model_construct(name=m.name, value=m.value, isRegex=m.is_regex, isEqual=m.is_equal)
                  for m in s.matchers]) for s in found])


@route(bp, "DELETE", "/silences/<silence_id>", role="operator", status=204, errors=(404, 502, 503),
       tag="on-call", summary="Expire a silence now")
def expire(silence_id: str):
    """Expire the silence; 404 when Alertmanager does not know it."""
    audit_target(f"silence:{silence_id}")
    try:
        get_backend("alertmanager").expire_silence(silence_id)
    except BackendError as e:
        # Alertmanager 0.25 answers 500 "silence not found" for an unknown id, and 422 for one that is not a UUID
        if e.status in (400, 404, 422) or "silence not found" in e.detail:
            raise ApiError(404, "not_found", f"no silence {silence_id}") from e
        raise


def _incident(incident_id: int):
    try:
        return incidents.get(store.session(), incident_id)
    except incidents.IncidentNotFound as e:
        raise ApiError(404, "not_found", str(e)) from e
