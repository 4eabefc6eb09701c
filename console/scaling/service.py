"""What the scale API and the CLI do: policies in the store, manual scales with overrides, decision records.

A manual scale is checked against the target's policy (unknown target, outside the bounds),
carried out by the executor unless it is a dry run, recorded with who, why and how it ended,
and leaves an override that the loop respects until it expires. Replays of a request under
the same ``Idempotency-Key`` get the first answer back.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.errors import Conflict
from console.scaling.engine import Decision
from console.scaling.executors import Executor
from console.scaling.models import (
    IdempotencyRecord,
    PolicyRecord,
    PolicyVersion,
    ScaleOverride,
    ScaleRecord,
)
from console.scaling.policy import Policy, load_policies
from console.store import save
from console.store.models import utcnow

OVERRIDE_SECONDS = 600


class UnknownTarget(LookupError):
    """No policy scales this target."""

    def __init__(self, target: str):
        super().__init__(f"no scaling policy for {target!r}")
        self.target = target


class OutOfBounds(ValueError):
    """The asked-for count is outside the policy's ``minReplicas``..``maxReplicas``."""

    def __init__(self, target: str, replicas: int, low: int, high: int):
        super().__init__(f"{target} takes {low}..{high} replicas by its policy, not {replicas}")
        self.low, self.high = low, high


@dataclass(frozen=True)
class Status:
    """A target now: replicas current and ready, its policy, the override and the last decision."""

    target: str
    current: int
    ready: int
    policy: Policy
    override: ScaleOverride | None
    last: ScaleRecord | None


def policy_for(db: Session, target: str) -> Policy:
    """The policy of ``target``; ``UnknownTarget`` if none."""
    record = db.scalar(select(PolicyRecord).where(PolicyRecord.target == target))
    if record is None:
        raise UnknownTarget(target)
    return Policy.model_validate(record.document)


def list_policies(db: Session) -> list[PolicyRecord]:
    """Every stored policy, by name."""
    return list(db.scalars(select(PolicyRecord).order_by(PolicyRecord.name)))


def save_policy(db: Session, policy: Policy, *, actor: str) -> PolicyRecord:
    """Store ``policy`` (a new one, or the next version of the one with its name)."""
    document = policy.model_dump(mode="json", by_alias=True, exclude_none=True)
    record = db.scalar(select(PolicyRecord).where(PolicyRecord.name == policy.name))
    other = db.scalar(select(PolicyRecord).where(PolicyRecord.target == policy.target))
    if other is not None and (record is None or other.id != record.id):
        raise Conflict(f"a policy for {policy.target}", f"{other.name} already scales it")
    if record is None:
        record = PolicyRecord(name=policy.name, target=policy.target, document=document, updated_by=actor,
                              updated_at=utcnow())
    elif record.document != document:
        record.document, record.target, record.version = document, policy.target, record.version + 1
        record.updated_by, record.updated_at = actor, utcnow()
    else:
        return record  # the same document again: no new version
    db.add(record)
    db.flush()
    db.add(PolicyVersion(policy_id=record.id, version=record.version, document=document, at=record.updated_at,
                         actor=actor))
    db.commit()
    return record


def policy_versions(db: Session, record: PolicyRecord) -> list[PolicyVersion]:
    """Every kept version of a policy, oldest first."""
    return list(db.scalars(select(PolicyVersion).where(PolicyVersion.policy_id == record.id)
                           .order_by(PolicyVersion.version)))


def policy_version(db: Session, record: PolicyRecord, number: int) -> PolicyVersion | None:
    """Version ``number`` of a policy, if kept."""
    return db.scalar(select(PolicyVersion).where(PolicyVersion.policy_id == record.id,
                                                 PolicyVersion.version == number))


def import_policies(db: Session, path: Path, *, actor: str) -> list[PolicyRecord]:
    """Store every policy of a YAML file or directory (``rules/scaling``)."""
    return [save_policy(db, policy, actor=actor) for policy in load_policies(path)]


def scale(db: Session, executor: Executor, *, target: str, replicas: int, reason: str, dry_run: bool,
          actor: str, now: datetime, override_seconds: int = OVERRIDE_SECONDS) -> ScaleRecord:
    """Scale ``target`` by hand (or pretend to, on a dry run) and record it; the override holds ``override_seconds``."""
    policy = policy_for(db, target)
    low, high = policy.spec.min_replicas, policy.spec.max_replicas
    if not low <= replicas <= high:
        raise OutOfBounds(target, replicas, low, high)
    current, _ready = executor.replicas(target)
    record = ScaleRecord(at=now, target=target, actor=actor, kind="manual", from_replicas=current,
                         to_replicas=replicas, reason=reason, dry_run=dry_run, result="dry_run")
    if not dry_run:
        record.result = "unchanged" if current == replicas else "applied"
        try:
            if current != replicas:
                executor.scale(target, replicas)
        except Exception as e:
            record.result, record.detail = "failed", {"error": str(e)}
            db.add(record)
            db.commit()
            raise
        until = now + timedelta(seconds=override_seconds)
        db.merge(ScaleOverride(target=target, replicas=replicas, until=until, actor=actor, reason=reason))
        record.detail = {"override_until": until.isoformat()}
    db.add(record)
    db.commit()
    return record


def record_decision(db: Session, decision: Decision, *, actor: str, result: str,
                    error: str | None = None) -> ScaleRecord:
    """Record a decision of the loop: from -> to, its reasons and metric values, and how applying it ended."""
    detail: dict[str, Any] = {"condition": decision.condition, "recommendation": decision.recommendation}
    if decision.errors:
        detail["metric_errors"] = list(decision.errors)
    if decision.alerts:
        detail["alerts"] = list(decision.alerts)
    if decision.forecast is not None:
        detail["forecast"] = decision.forecast
    if error is not None:
        detail["error"] = error
    record = ScaleRecord(at=decision.at, target=decision.target, actor=actor, kind="auto",
                         from_replicas=decision.current, to_replicas=decision.desired,
                         reason="; ".join(decision.reasons) or decision.condition, dry_run=False, result=result,
                         values=decision.values or None, detail=detail)
    db.add(record)
    db.commit()
    return record


def status(db: Session, executor: Executor, target: str, now: datetime) -> Status:
    """The state of ``target`` as the API and the pages show it."""
    policy = policy_for(db, target)
    current, ready = executor.replicas(target)
    override = db.get(ScaleOverride, target)
    last = db.scalar(select(ScaleRecord).where(ScaleRecord.target == target).order_by(ScaleRecord.id.desc()).limit(1))
    active = override if override is not None and override.is_active(now) else None
    return Status(target, current, ready, policy, active, last)


def events(db: Session, *, target: str | None = None, limit: int = 50, start: datetime | None = None,
           end: datetime | None = None) -> list[ScaleRecord]:
    """Decision records, newest first; of one ``target`` and within [start, end] when given."""
    query = select(ScaleRecord).order_by(ScaleRecord.id.desc()).limit(limit)
    if target is not None:
        query = query.where(ScaleRecord.target == target)
    if start is not None:
        query = query.where(ScaleRecord.at >= start)
    if end is not None:
        query = query.where(ScaleRecord.at <= end)
    return list(db.scalars(query))


def fingerprint(body: dict[str, Any]) -> str:
    """A stable digest of a request body, to tell a replay from another request under the same key."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def replayed(db: Session, key: str, digest: str) -> IdempotencyRecord | None:
    """The first answer under ``key``, if any; ``Conflict`` when that key came with another body."""
    record = db.get(IdempotencyRecord, key)
    if record is not None and record.fingerprint != digest:
        raise Conflict(f"Idempotency-Key {key!r}", "was used with another request body")
    return record


def remember(db: Session, key: str, digest: str, status_code: int, response: dict[str, Any], now: datetime) -> None:
    """Keep the answer given under ``key``; ``Conflict`` when a concurrent request under that key answered first."""
    save(db, IdempotencyRecord(key=key, fingerprint=digest, status=status_code, response=response, created_at=now),
         what=f"Idempotency-Key {key!r}")


def timeline(db: Session, target: str, start: datetime, end: datetime) -> tuple[int | None, list[ScaleRecord]]:
    """The count at ``start`` by the last applied record before it (None if none), and the records up to ``end``."""
    before = db.scalar(select(ScaleRecord).where(
        ScaleRecord.target == target, ScaleRecord.at < start, ScaleRecord.result == "applied",
    ).order_by(ScaleRecord.at.desc(), ScaleRecord.id.desc()).limit(1))
    inside = db.scalars(select(ScaleRecord).where(
        ScaleRecord.target == target, ScaleRecord.at >= start, ScaleRecord.at <= end,
    ).order_by(ScaleRecord.at, ScaleRecord.id))
    return (before.to_replicas if before is not None else None), list(inside)
