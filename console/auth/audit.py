"""The audit log: who did what to which target, when, from where, and with what result."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.auth.principal import Principal
from console.store import AuditEntry, new_session, utcnow

ANONYMOUS = "anonymous"


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


def list_audit(db: Session, *, limit: int = 100, before_id: int | None = None) -> list[AuditEntry]:
    """The newest entries first, at most ``limit``; ``before_id`` pages on from an earlier page's last id."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(db.scalars(query))
