"""Rules in the store: each change a new version with who, when, why and the diff. Callers commit."""
from __future__ import annotations

import difflib
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.errors import Conflict
from console.rules.model import Rule
from console.rules.models import AlertRule, AlertRuleVersion
from console.rules.render import render_rule
from console.store import utcnow


def to_rule(row: AlertRule | AlertRuleVersion) -> Rule:
    """The rule a stored row (or version) holds."""
    return Rule.model_validate(row.spec)


def active(db: Session) -> list[AlertRule]:
    """Every rule not deleted, by group then position."""
    query = select(AlertRule).where(AlertRule.deleted_at.is_(None))
    return list(db.scalars(query.order_by(AlertRule.group_name, AlertRule.position, AlertRule.id)))


def get(db: Session, rule_id: int) -> AlertRule | None:
    """The rule ``rule_id`` unless it does not exist or was deleted."""
    row = db.get(AlertRule, rule_id)
    return row if row is not None and row.deleted_at is None else None


def history(db: Session, rule_id: int) -> list[AlertRuleVersion]:
    """Every version of a rule, oldest first."""
    query = select(AlertRuleVersion).where(AlertRuleVersion.rule_id == rule_id).order_by(AlertRuleVersion.version)
    return list(db.scalars(query))


def changes_between(db: Session, start: datetime, end: datetime, *, limit: int = 20) -> list[tuple[AlertRuleVersion, AlertRule]]:
    """The rule versions made in [start, end] with their rules, newest first."""
    query = (select(AlertRuleVersion, AlertRule).join(AlertRule, AlertRule.id == AlertRuleVersion.rule_id)
             .where(AlertRuleVersion.at >= start, AlertRuleVersion.at <= end)
             .order_by(AlertRuleVersion.at.desc(), AlertRuleVersion.id.desc()).limit(limit))
    return [(v, r) for v, r in db.execute(query)]


def version(db: Session, rule_id: int, number: int) -> AlertRuleVersion | None:
    """Version ``number`` of a rule."""
    query = select(AlertRuleVersion).where(AlertRuleVersion.rule_id == rule_id, AlertRuleVersion.version == number)
    return db.scalars(query).first()


def diff(before: Rule | None, after: Rule | None) -> str:
    """A unified diff of two versions of a rule, as they render in their group file."""
    old = render_rule(before).splitlines(keepends=True) if before else []
    new = render_rule(after).splitlines(keepends=True) if after else []
    return "".join(difflib.unified_diff(old, new, "before", "after"))


def _check_unique(db: Session, rule: Rule, rule_id: int | None) -> None:
    query = select(AlertRule.id).where(AlertRule.deleted_at.is_(None), AlertRule.group_name == rule.group,
                                       AlertRule.alert == rule.alert)
    if any(found != rule_id for found in db.scalars(query)):
        raise Conflict(f"rule {rule.group}/{rule.alert}", "already exists")


def create(db: Session, rule: Rule, *, actor: str, reason: str = "", warnings: list[dict] | None = None) -> AlertRule:
    """Add ``rule`` at the end of its group, as version 1; ``Conflict`` if its group already has that alert."""
    _check_unique(db, rule, None)
    last = db.scalar(select(func.max(AlertRule.position)).where(AlertRule.group_name == rule.group))
    row = AlertRule(group_name=rule.group, alert=rule.alert, position=(last or 0) + 1, spec=rule.spec(), version=1)
    db.add(row)
    db.flush()
    db.add(AlertRuleVersion(rule_id=row.id, version=1, spec=rule.spec(), actor=actor, at=utcnow(), reason=reason,
                            diff=diff(None, rule), warnings=warnings or []))
    db.flush()
    return row


def update(db: Session, row: AlertRule, rule: Rule, *, actor: str, reason: str = "",
           warnings: list[dict] | None = None) -> AlertRule:
    """Make ``rule`` the next version of ``row`` (a rollback is an update to an old version's content)."""
    _check_unique(db, rule, row.id)
    before = to_rule(row)
    if rule.group != row.group_name:
        last = db.scalar(select(func.max(AlertRule.position)).where(AlertRule.group_name == rule.group))
        row.position = (last or 0) + 1
    row.group_name, row.alert, row.spec = rule.group, rule.alert, rule.spec()
    row.version += 1
    row.updated_at = utcnow()
    db.add(AlertRuleVersion(rule_id=row.id, version=row.version, spec=rule.spec(), actor=actor, at=row.updated_at,
                            reason=reason, diff=diff(before, rule), warnings=warnings or []))
    db.flush()
    return row


def delete(db: Session, row: AlertRule, *, actor: str, reason: str = "") -> None:
    """Remove ``row``; its history stays, ending in a version without content."""
    before = to_rule(row)
    row.version += 1
    row.deleted_at = row.updated_at = utcnow()
    db.add(AlertRuleVersion(rule_id=row.id, version=row.version, spec=None, actor=actor, at=row.updated_at,
                            reason=reason, diff=diff(before, None), warnings=[]))
    db.flush()
