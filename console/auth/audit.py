"""The audit log: who did what to which target, when, from where, and with what result."""
from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from console.auth.principal import Principal
from console.store import AuditEntry, new_session, utcnow

ANONYMOUS = "anonymous"
# how an action ended, in every writer's words (the API adds its error codes: not_found, conflict, ...)
OK = "ok"
FAILED = "failed"


def audit_entry(*, principal: Principal | None, action: str, target: str, result: str, source: str | None,
                detail: dict[str, Any] | None = None) -> AuditEntry:
    """One audit entry, not yet stored. Never put secrets (passwords, tokens) in ``detail``."""
    return AuditEntry(at=utcnow(), actor=principal.actor if principal else ANONYMOUS, action=action,
                      target=target[:255], source=source, result=result, detail=detail)


def record_audit(*, principal: Principal | None, action: str, target: str, result: str, source: str | None,
                 detail: dict[str, Any] | None = None) -> None:
    """Store one audit entry, in a transaction of its own so that it stays even if the caller rolls back.

    Call it after committing the action: on SQLite a second writer waits for the first.
    """
    with new_session() as db:
        db.add(audit_entry(principal=principal, action=action, target=target, result=result, source=source,
                           detail=detail))
        db.commit()


def list_audit(db: Session, *, limit: int = 100, before_id: int | None = None, actor: str | None = None,
               action: str | None = None, target: str | None = None, result: str | None = None) -> list[AuditEntry]:
    """The newest entries first, at most ``limit``; ``before_id`` pages on from an earlier page's last id.

    Filters: ``actor`` and ``result`` exactly; ``action`` exactly or as an area (``rules`` matches
    ``rules.update``); ``target`` exactly, or every target of a kind when it ends with a colon (``incident:``).
    """
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if result is not None:
        query = query.where(AuditEntry.result == result)
    if action is not None:
        query = query.where(or_(AuditEntry.action == action,
                                AuditEntry.action.startswith(f"{action}.", autoescape=True)))
    if target is not None:
        query = query.where(AuditEntry.target.startswith(target, autoescape=True) if target.endswith(":")
                            else AuditEntry.target == target)
    return list(db.scalars(query))
