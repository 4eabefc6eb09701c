"""Leader election through the database: one lease row per loop, taken over only once it expires.

Every console runs the scaling loop, but only the holder of the lease acts. A console renews
the lease while it holds it; another takes it only after ``expires_at`` has passed, so a dead
leader is replaced within its lease time plus one attempt. Taking and renewing is one
conditional ``UPDATE`` (or the first ``INSERT``) in one transaction: the database decides the
race, on SQLite and PostgreSQL alike. (PostgreSQL's ``pg_advisory_lock`` would be the other way:
held by a session, freed when that connection dies; it needs a connection held open per
console and does not exist on SQLite, so the row serves both.)
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from console.scaling.models import LeaseRecord

__all__ = ["Lease", "acquire", "holder_of", "may_act", "release"]

LOOP_LEASE = "scaling-loop"


@dataclass(frozen=True)
class Lease:
    """The lease as read: who holds it and until when."""

    holder: str
    expires_at: datetime


def may_act(lease: Lease | None, holder: str, now: datetime) -> bool:
    """Whether ``holder`` may take or keep the lease at ``now``: nobody holds it, it is its own, or it expired."""
    return lease is None or lease.holder == holder or lease.expires_at <= now


def acquire(engine: Engine, holder: str, now: datetime, ttl: timedelta, *, name: str = LOOP_LEASE) -> bool:
    """Take or renew lease ``name`` for ``holder`` until ``now + ttl``; False when another holds it unexpired."""
    table = LeaseRecord.__table__
    expires = now + ttl
    with engine.begin() as connection:
        # the WHERE clause is may_act, evaluated by the database under its row lock
        taken = connection.execute(
            update(table)
            .where(table.c.name == name, or_(table.c.holder == holder, table.c.expires_at <= now))
            .values(holder=holder, expires_at=expires))
        if taken.rowcount == 1:
            return True
        if connection.execute(select(table.c.name).where(table.c.name == name)).first() is not None:
            return False
    try:
        with engine.begin() as connection:
            connection.execute(insert(table).values(name=name, holder=holder, expires_at=expires))
    except IntegrityError:
        # another console inserted the first row in between: it leads
        return False
    return True


def release(engine: Engine, holder: str, now: datetime, *, name: str = LOOP_LEASE) -> None:
    """Give the lease up at ``now`` if ``holder`` has it, so another console need not wait for it to expire."""
    table = LeaseRecord.__table__
    with engine.begin() as connection:
        connection.execute(update(table).where(table.c.name == name, table.c.holder == holder)
                           .values(expires_at=now))


def holder_of(engine: Engine, *, name: str = LOOP_LEASE) -> Lease | None:
    """The lease ``name`` as stored, if it was ever taken."""
    table = LeaseRecord.__table__
    with engine.connect() as connection:
        row = connection.execute(select(table.c.holder, table.c.expires_at).where(table.c.name == name)).first()
    return None if row is None else Lease(row.holder, row.expires_at)
