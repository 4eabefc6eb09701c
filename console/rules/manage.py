"""Changing rules: validate in layers, store the new version, apply to Prometheus, commit only if it took.

``Target`` is the Prometheus the rules are for (queries, its rules API, the directory it
loads). Every change goes validate → store (flushed, not committed) → ``apply`` → commit;
when the apply fails the store change is rolled back too, so store and files never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.backends.prometheus import Prometheus
from console.errors import BackendError, BackendUnavailable, UsageProblem
from console.rules import versions
from console.rules.apply import ApplyFailed, apply
from console.rules.lint import lint
from console.rules.model import Rule
from console.rules.models import AlertRule
from console.rules.prom import RulesApi, evaluation_interval, rules_dir
from console.rules.promtool import ERROR, WARNING, Problem, check_rules


class RuleInvalid(UsageProblem):
    """A rule failed validation; carries every problem found (errors and warnings)."""

    def __init__(self, problems: list[Problem]):
        errors = [p for p in problems if p.severity == ERROR]
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in errors) or "invalid rule")
        self.problems = problems


@dataclass
class Target:
    """The Prometheus the rules are for; ``directory`` None means the one its ``rule_files`` names."""

    prometheus: Prometheus
    api: RulesApi
    directory: Path | None = None

    def rules_directory(self) -> Path:
        """Where to write the rule files; ``ApplyFailed`` when it can be neither configured nor discovered."""
        if self.directory is not None:
            return self.directory
        try:
            found = rules_dir(self.api.config())
        except BackendError as e:
            raise ApplyFailed(f"cannot ask Prometheus where it loads rules from: {e}") from e
        if found is None:
            raise ApplyFailed("Prometheus loads no '<dir>/*.yml' rule files; set RULES_DIR")
        return found

    def interval(self) -> float:
        """Seconds between rule evaluations."""
        return evaluation_interval(self.api.config())


def validate(rule: Rule, target: Target, *, now: float) -> list[Problem]:
    """Problems with ``rule``: promtool's first; the live checks only once promtool passes."""
    problems = check_rules([rule])
    if any(p.severity == ERROR for p in problems):
        return problems
    try:
        interval = target.interval()
    except BackendUnavailable as e:
        return problems + [Problem("rule", WARNING, f"live checks skipped: {e}")]
    return problems + lint(rule, prometheus=target.prometheus, api=target.api, now=now, interval=interval)


def _checked(rule: Rule, target: Target, now: float) -> list[dict]:
    problems = validate(rule, target, now=now)
    if any(p.severity == ERROR for p in problems):
        raise RuleInvalid(problems)
    return [p.as_dict() for p in problems]


def _apply_and_commit(db: Session, target: Target) -> None:
    try:
        apply([versions.to_rule(row) for row in versions.active(db)], target.rules_directory(), target.api)
    except ApplyFailed:
        db.rollback()
        raise
    db.commit()


def create(db: Session, target: Target, rule: Rule, *, actor: str, reason: str, now: float) -> AlertRule:
    """Validate, store as version 1 and apply; ``RuleInvalid``, ``Conflict`` or ``ApplyFailed`` otherwise."""
    warnings = _checked(rule, target, now)
    row = versions.create(db, rule, actor=actor, reason=reason, warnings=warnings)
    _apply_and_commit(db, target)
    return row


def update(db: Session, target: Target, row: AlertRule, rule: Rule, *, actor: str, reason: str,
           now: float) -> AlertRule:
    """Validate, store as the next version and apply."""
    warnings = _checked(rule, target, now)
    versions.update(db, row, rule, actor=actor, reason=reason, warnings=warnings)
    _apply_and_commit(db, target)
    return row


def rollback(db: Session, target: Target, row: AlertRule, number: int, *, actor: str, now: float) -> AlertRule:
    """Make version ``number``'s content the next version; ``UsageProblem`` when it has none."""
    old = versions.version(db, row.id, number)
    if old is None or old.spec is None:
        raise UsageProblem(f"rule {row.id} has no version {number} with content")
    return update(db, target, row, versions.to_rule(old), actor=actor, reason=f"rollback to version {number}", now=now)


def delete(db: Session, target: Target, row: AlertRule, *, actor: str, reason: str) -> None:
    """Remove the rule and apply."""
    versions.delete(db, row, actor=actor, reason=reason)
    _apply_and_commit(db, target)


def import_into_new_store(db: Session, target: Target | None, rules: list[Rule], *, actor: str) -> int | None:
    """Import ``rules`` (as ``import_rules``) into a store that never held an alert rule; how many, or None when
    it did: rules deleted on purpose do not come back."""
    if db.scalar(select(AlertRule.id).limit(1)) is not None:
        return None
    return import_rules(db, target, rules, actor=actor)[0]


def import_rules(db: Session, target: Target | None, rules: list[Rule], *, actor: str) -> tuple[int, int]:
    """Create or update each rule (matched by group and alert) in file order; apply when ``target`` is given.

    Returns (created, updated); rules whose content is unchanged are left alone.
    """
    created = updated = 0
    current = {(row.group_name, row.alert): row for row in versions.active(db)}
    for rule in rules:
        row = current.get((rule.group, rule.alert))
        if row is None:
            versions.create(db, rule, actor=actor, reason="import")
            created += 1
        elif versions.to_rule(row) != rule:
            versions.update(db, row, rule, actor=actor, reason="import")
            updated += 1
    if target is not None:
        _apply_and_commit(db, target)
    else:
        db.commit()
    return created, updated
