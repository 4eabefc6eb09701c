"""The rule tables: the current rules, and every version of each (who, when, why, the diff)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from console.store.models import Base, UTCDateTime, utcnow

__all__ = ["AlertRule", "AlertRuleVersion"]


class AlertRule(Base):
    """A managed alerting rule; ``spec`` is its current content, ``deleted_at`` set once removed."""

    __tablename__ = "alert_rules"
    __table_args__ = (Index("ix_alert_rules_group_alert", "group_name", "alert"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_name: Mapped[str] = mapped_column(String(100))
    alert: Mapped[str] = mapped_column(String(128))
    # order within the group, so that export writes the rules back as they were imported
    position: Mapped[int] = mapped_column(Integer, default=0)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    def __repr__(self) -> str:
        return f"AlertRule(id={self.id!r}, group={self.group_name!r}, alert={self.alert!r}, version={self.version!r})"


class AlertRuleVersion(Base):
    """One change of a rule: its content after the change (None once deleted), by whom, why, and the diff."""

    __tablename__ = "alert_rule_versions"
    __table_args__ = (UniqueConstraint("rule_id", "version", name="uq_alert_rule_versions_rule_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(String(500), default="")
    diff: Mapped[str] = mapped_column(Text, default="")
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    def __repr__(self) -> str:
        return f"AlertRuleVersion(rule_id={self.rule_id!r}, version={self.version!r}, actor={self.actor!r})"
