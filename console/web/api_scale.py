"""``/api/v1/scale`` and ``/api/v1/scaling/policies``: scale by hand (idempotently), read targets and decisions.

``POST /scale`` takes an ``Idempotency-Key`` header: the same key with the same body returns the
first answer without acting again; the same key with another body is a 409.
"""
from __future__ import annotations

import datetime
from typing import Any

from flask import request
from pydantic import BaseModel, ConfigDict, Field

from console import store
from console.errors import Conflict, OpsError, StackNotRunning
from console.scaling import executor, service
from console.scaling.executors import UnknownWorkload
from console.scaling.policy import NAME, Policy
from console.store import utcnow
from console.web.apiroutes import (
    ApiError,
    area_blueprint,
    audit_target,
    current_principal,
    route,
)

bp = area_blueprint("scale")


class ScaleRequest(BaseModel):
    """A manual scale: the target, the count, why, and whether only to try it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"target": "gateway", "replicas": 1, "reason": "rehearse the release", "dry_run": True}]})

    target: str = Field(pattern=NAME)
    replicas: int = Field(ge=0, le=100_000)
    reason: str = Field(min_length=1, max_length=500)
    dry_run: bool = False


class ScaleEventOut(BaseModel):
    """A decision record: when, who, from -> to, why, the metric values, dry run or applied, the result."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime.datetime
    target: str
    actor: str
    kind: str
    from_replicas: int
    to_replicas: int
    reason: str
    dry_run: bool
    result: str
    values: dict[str, Any] | None
    detail: dict[str, Any] | None


class OverrideOut(BaseModel):
    """A manual count the loop keeps until ``until``."""

    model_config = ConfigDict(from_attributes=True)

    replicas: int
    until: datetime.datetime
    actor: str
    reason: str


class ScaleStatusOut(BaseModel):
    """A target now: current and ready replicas, the desired count, its policy, override and last decision."""

    target: str
    current: int
    ready: int
    desired: int
    policy: dict[str, Any]
    override: OverrideOut | None
    last_decision: ScaleEventOut | None


class EventsQuery(BaseModel):
    """Decision records of one target, or of all, newest first."""

    target: str | None = Field(default=None, pattern=NAME)
    limit: int = Field(default=50, ge=1, le=500)


class EventList(BaseModel):
    """Decision records, newest first."""

    items: list[ScaleEventOut]


class PolicyOut(BaseModel):
    """A stored policy and its version."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    target: str
    version: int
    updated_at: datetime.datetime
    updated_by: str
    document: dict[str, Any]


class PolicyList(BaseModel):
    """Every stored policy."""

    items: list[PolicyOut]


def scale_failure(e: Exception) -> tuple[int, str] | None:
    """The status and error code of a manual scale that failed with ``e`` (None: not a failure of scaling)."""
    if isinstance(e, (service.UnknownTarget, UnknownWorkload)):
        return 404, "not_found"
    if isinstance(e, service.OutOfBounds):
        return 422, "out_of_bounds"
    if isinstance(e, StackNotRunning):
        return 503, "stack_not_running"
    if isinstance(e, Conflict):
        # the executor will not act (an HPA owns the target) or lost every race for it
        return 409, "conflict"
    if isinstance(e, OpsError):
        return 502, "scale_failed"
    return None


@route(bp, "POST", "/scale", role="operator", body=ScaleRequest, response=ScaleEventOut,
       errors=(404, 409, 422, 502, 503), tag="scaling",
       summary="Scale a target by hand (Idempotency-Key header honoured); sets an override the loop respects")
def scale(body: ScaleRequest):
    """Scale (or, with ``dry_run``, only record) and answer with the decision record."""
    audit_target(f"scale:{body.target}", body.model_dump())
    db = store.session()
    key = request.headers.get("Idempotency-Key", "").strip()
    digest = service.fingerprint(body.model_dump())
    if key:
        if len(key) > 255:
            raise ApiError(400, "bad_request", "Idempotency-Key is longer than 255 characters")
        first = service.replayed(db, key, digest)
        if first is not None:
            return ScaleEventOut.model_validate(first.response), first.status
    try:
        record = service.scale(db, executor(), target=body.target, replicas=body.replicas, reason=body.reason,
                               dry_run=body.dry_run, actor=current_principal().actor, now=utcnow())
    except (LookupError, ValueError, OpsError) as e:
        failure = scale_failure(e)
        if failure is None:
            raise
        raise ApiError(*failure, str(e)) from e
    answer = ScaleEventOut.model_validate(record)
    if key:
        service.remember(db, key, digest, 200, answer.model_dump(mode="json"), utcnow())
    return answer


@route(bp, "GET", "/scale/events", role="viewer", query=EventsQuery, response=EventList, tag="scaling",
       summary="Decision records (manual and automatic), newest first")
def list_events(query: EventsQuery):
    """The newest decision records."""
    records = service.events(store.session(), target=query.target, limit=query.limit)
    return EventList(items=[ScaleEventOut.model_validate(r) for r in records])


@route(bp, "GET", "/scale/<target>", role="viewer", response=ScaleStatusOut, errors=(404, 502, 503), tag="scaling",
       summary="A target: current, ready and desired replicas, its policy, override and last decision")
def get_status(target: str):
    """The state of one target."""
    try:
        now = service.status(store.session(), executor(), target, utcnow())
    except (service.UnknownTarget, UnknownWorkload) as e:
        raise ApiError(404, "not_found", str(e)) from e
    desired = now.override.replicas if now.override else (now.last.to_replicas if now.last else now.current)
    return ScaleStatusOut(
        target=target, current=now.current, ready=now.ready, desired=desired,
        policy=now.policy.model_dump(mode="json", by_alias=True, exclude_none=True),
        override=OverrideOut.model_validate(now.override) if now.override else None,
        last_decision=ScaleEventOut.model_validate(now.last) if now.last else None)


@route(bp, "GET", "/scaling/policies", role="viewer", response=PolicyList, tag="scaling",
       summary="Every scaling policy with its version")
def list_policies():
    """The stored policies."""
    return PolicyList(items=[PolicyOut.model_validate(p) for p in service.list_policies(store.session())])


@route(bp, "POST", "/scaling/policies", role="operator", body=Policy, response=PolicyOut, errors=(409, 422),
       tag="scaling", summary="Create a scaling policy, or store the next version of one with that name")
def save_policy(body: Policy):
    """Validate and store a policy; 409 when another policy already scales its target."""
    audit_target(f"scaling-policy:{body.name}", {"target": body.target})
    record = service.save_policy(store.session(), body, actor=current_principal().actor)
    return PolicyOut.model_validate(record)
