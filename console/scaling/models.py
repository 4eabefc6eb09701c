"""The scaling tables: policies (versioned), decision records, overrides, idempotency keys, the loop's lease."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from console.store.models import Base, UTCDateTime, utcnow

__all__ = ["IdempotencyRecord", "LeaseRecord", "PolicyRecord", "PolicyVersion", "RecommendationRecord", "ScaleOverride",
           "ScaleRecord"]


class PolicyRecord(Base):
    """A scaling policy as stored: its document, bumped ``version`` on every change."""

    __tablename__ = "scaling_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    target: Mapped[str] = mapped_column(String(63), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(128))


class PolicyVersion(Base):
    """One version of a policy as it was saved: its document, who saved it and when."""

    __tablename__ = "scaling_policy_versions"
    __table_args__ = (UniqueConstraint("policy_id", "version", name="uq_scaling_policy_versions_policy_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[int] = mapped_column(Integer, ForeignKey("scaling_policies.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))


class ScaleRecord(Base):
    """One decision: who, when, from -> to, why, the metric values, dry run or applied, and how it ended."""

    __tablename__ = "scale_events"
    __table_args__ = (Index("ix_scale_events_target_at", "target", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    target: Mapped[str] = mapped_column(String(63))
    actor: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # manual | auto
    from_replicas: Mapped[int] = mapped_column(Integer)
    to_replicas: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    result: Mapped[str] = mapped_column(String(16))  # applied | dry_run | unchanged | failed
    values: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class ScaleOverride(Base):
    """A manual scale the loop respects until ``until``."""

    __tablename__ = "scale_overrides"

    target: Mapped[str] = mapped_column(String(63), primary_key=True)
    replicas: Mapped[int] = mapped_column(Integer)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)

    def is_active(self, now: datetime) -> bool:
        """Whether the override still holds at ``now``."""
        return now < self.until


class IdempotencyRecord(Base):
    """The first answer to a scale request under an ``Idempotency-Key``, and the body it answered."""

    __tablename__ = "scale_idempotency"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LeaseRecord(Base):
    """Who leads the scaling loop (``holder``) and until when, unless renewed."""

    __tablename__ = "scaling_leases"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RecommendationRecord(Base):
    """One tick's unstabilized recommendation, kept in the store so a new leader stabilizes like the old one."""

    __tablename__ = "scaling_recommendations"
    __table_args__ = (Index("ix_scaling_recommendations_target_at", "target", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(63))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    replicas: Mapped[int] = mapped_column(Integer)
