"""``/api/v1/audit``: the record of every mutating action, newest first, paged by id."""
from __future__ import annotations

import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from console import auth, store
from console.web.apiroutes import area_blueprint, route

bp = area_blueprint("audit")


class AuditQuery(BaseModel):
    """A page of the audit log: at most ``limit`` entries older than ``before_id``, those that match every filter
    given: ``actor`` and ``result`` exactly, ``action`` exactly or as an area (``rules`` matches ``rules.update``),
    ``target`` exactly or, ending with a colon, by kind (``incident:``)."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=500)
    before_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    actor: str | None = Field(default=None, min_length=1, max_length=128)
    action: str | None = Field(default=None, pattern=r"^[a-z_]+(\.[a-z_]+)*$", max_length=64)
    target: str | None = Field(default=None, min_length=1, max_length=255)
    result: str | None = Field(default=None, pattern=r"^[a-z_]+$", max_length=32)

    def filters(self) -> dict[str, str]:
        """The filters given, by name."""
        return {k: v for k, v in self.model_dump(include=FILTERS).items() if v is not None}


FILTERS = {"actor", "action", "target", "result"}


class AuditEntryOut(BaseModel):
    """Who did what to which target, when, from where, and how it ended."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime.datetime
    actor: str
    action: str
    target: str
    source: str | None
    result: str
    detail: dict[str, Any] | None


class AuditPage(BaseModel):
    """Entries newest first; pass ``next_before_id`` as ``before_id`` for the next page (null: no more)."""

    items: list[AuditEntryOut]
    next_before_id: int | None


def audit_page(query: AuditQuery) -> AuditPage:
    """One page of the audit log, as the API and the audit page show it."""
    entries = auth.list_audit(store.session(), limit=query.limit, before_id=query.before_id, **query.filters())
    items = [AuditEntryOut.model_validate(e) for e in entries]
    # a short page is the last one; a full one may or may not be followed by more
    more = len(items) == query.limit and items[-1].id > 1
    return AuditPage(items=items, next_before_id=items[-1].id if more else None)


@route(bp, "GET", "/audit", role="admin", query=AuditQuery, response=AuditPage,
       summary="The audit log, newest first, paged with before_id; filtered by actor, action, target, result")
def list_entries(query: AuditQuery):
    """A page of the audit log."""
    return audit_page(query)
