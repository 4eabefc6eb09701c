"""Login rate limit: 5 failures for one name from one address in 5 minutes lock that pair out; the same for
changing one's password with a wrong current one.

Failures are counted from the audit log rather than in memory, so every gunicorn worker
sees the same count and a restart does not reset it, at no cost of a table of its own.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.auth.audit import FAILED
from console.store import AuditEntry

MAX_FAILURES = 5
WINDOW = timedelta(minutes=5)
LOGIN = "login"
PASSWORD_CHANGE = "users.change_password"
WRONG_PASSWORD = "wrong_password"


def login_target(name: str) -> str:
    """The audit target of a login attempt for ``name``."""
    return f"user:{name}"


def login_retry_after(db: Session, *, name: str, source: str | None, now: datetime) -> int | None:
    """Seconds until ``name`` may try again from ``source``, or None if it may try now."""
    return _retry_after(db, action=LOGIN, target=login_target(name), source=source, now=now, results=(FAILED,))


def password_change_retry_after(db: Session, *, name: str, source: str | None, now: datetime) -> int | None:
    """Seconds until ``name`` may try to change their password again from ``source`` (a stolen session must not
    guess the current password either), or None if they may now."""
    # the page audits a wrong current password as failed, the API as the error code it answered
    return _retry_after(db, action=PASSWORD_CHANGE, target=login_target(name), source=source, now=now,
                        results=(FAILED, WRONG_PASSWORD))


def _retry_after(db: Session, *, action: str, target: str, source: str | None, now: datetime,
                 results: tuple[str, ...]) -> int | None:
    failures = list(db.scalars(
        select(AuditEntry.at)
        .where(AuditEntry.action == action, AuditEntry.target == target[:255], AuditEntry.source == source,
               AuditEntry.result.in_(results), AuditEntry.at > now - WINDOW)
        .order_by(AuditEntry.at)
    ))
    if len(failures) < MAX_FAILURES:
        return None
    # the pair is free again once the oldest of the last MAX_FAILURES leaves the window
    return max(1, math.ceil((failures[-MAX_FAILURES] + WINDOW - now).total_seconds()))
