"""``/api/v1/rules``: alert rules as code. Viewers read, validate and backtest; operators change.

Every change is validated (promtool, then the live checks), stored as a new version and
applied to Prometheus (reload, confirm); invalid rules answer 422 with the problems, a
failed apply answers 503 and changes nothing.
"""
from __future__ import annotations

import datetime
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from console import store
from console.rules import RuleInvalid, loaded_rules, manage, target, versions
from console.rules.apply import ApplyFailed
from console.rules.backtest import backtest
from console.rules.model import Rule
from console.rules.models import AlertRule
from console.web.apiroutes import (
    ApiError,
    area_blueprint,
    audit_target,
    current_principal,
    route,
)

bp = area_blueprint("rules")

MAX_ID = 2**63 - 1


class RuleIn(Rule):
    """A rule to store, and why it changes (kept in its history)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{**Rule.model_config["json_schema_extra"]["examples"][0],
                                                               "reason": "page on gateway errors"}]})

    reason: str = Field(default="", max_length=500)

    def rule(self) -> Rule:
        """The rule without the reason."""
        return Rule.model_validate(self.model_dump(by_alias=True, exclude={"reason"}))


class ProblemOut(BaseModel):
    """A finding about a rule field: ``error`` blocks a save, ``warning`` is recorded with it."""

    field: str
    severity: str
    message: str


class RuleOut(BaseModel):
    """A stored rule at its current version, with the warnings recorded when it was saved."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: int
    version: int
    group: str
    alert: str
    expr: str
    for_: str = Field(alias="for")
    keep_firing_for: str
    labels: dict[str, str]
    annotations: dict[str, str]
    updated_at: datetime.datetime
    warnings: list[ProblemOut] = []


class RuleList(BaseModel):
    """Every rule, by group."""

    items: list[RuleOut]


class Validation(BaseModel):
    """A rule that passed validation, and its warnings."""

    valid: bool
    problems: list[ProblemOut]


class VersionOut(BaseModel):
    """One version of a rule: its content (null once deleted), who, when, why, the diff from the one before."""

    model_config = ConfigDict(from_attributes=True)

    version: int
    spec: dict[str, Any] | None
    actor: str
    at: datetime.datetime
    reason: str
    diff: str
    warnings: list[ProblemOut]


class History(BaseModel):
    """Every version of a rule, oldest first."""

    items: list[VersionOut]


class BacktestQuery(BaseModel):
    """The window (default: the last hour) and step (default: the evaluation interval) of a backtest."""

    start: datetime.datetime | None = None
    end: datetime.datetime | None = None
    step: float | None = Field(default=None, gt=0, le=86400)


class AlertOut(BaseModel):
    """A would-be alert: pending from ``active_at``, firing from ``fired_at`` to ``resolved_at`` (unix seconds)."""

    labels: dict[str, str]
    active_at: float
    fired_at: float | None
    resolved_at: float | None


class BacktestOut(BaseModel):
    """Would-be alerts over the window, their count, time firing and state changes per hour, and the chart."""

    start: float
    end: float
    step: float
    series: int
    count: int
    firing_seconds: float
    flapping_per_hour: float
    threshold: float | None
    alerts: list[AlertOut]
    chart: list[dict[str, Any]]


class RollbackIn(BaseModel):
    """The version whose content becomes the next version."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"version": 1}]})

    version: int = Field(ge=1, le=MAX_ID)


def rule_out(row: AlertRule) -> RuleOut:
    """The API form of a stored rule."""
    last = versions.version(store.session(), row.id, row.version)
    return RuleOut(id=row.id, version=row.version, updated_at=row.updated_at,
                   warnings=last.warnings if last else [], **row.spec)


def _row(rule_id: int) -> AlertRule:
    row = versions.get(store.session(), rule_id) if rule_id <= MAX_ID else None
    if row is None:
        raise ApiError(404, "not_found", f"no rule with id {rule_id}")
    return row


def _changing(action, *args, **kwargs):
    """Run a change; its typed failures become 422 (invalid) or 503 (not applied)."""
    try:
        return action(store.session(), target(), *args, **kwargs)
    except RuleInvalid as e:
        raise ApiError(422, "invalid_rule", [p.as_dict() for p in e.problems]) from e
    except ApplyFailed as e:
        raise ApiError(503, "rules_not_applied", str(e)) from e


@route(bp, "GET", "/rules", role="viewer", response=RuleList, summary="List alert rules")
def list_rules():
    """Every rule, by group and position."""
    return RuleList(items=[rule_out(row) for row in versions.active(store.session())])


@route(bp, "POST", "/rules", role="operator", body=RuleIn, response=RuleOut, status=201, errors=(409, 422, 502, 503),
       summary="Create an alert rule: validated, stored as version 1 and applied to Prometheus")
def create(body: RuleIn):
    """Validate, store and apply a new rule."""
    rule = body.rule()
    audit_target(f"rule:{rule.group}/{rule.alert}", {"reason": body.reason})
    row = _changing(manage.create, rule, actor=current_principal().actor, reason=body.reason, now=time.time())
    audit_target(f"rule:{row.id}", {"group": rule.group, "alert": rule.alert, "version": 1, "reason": body.reason})
    return rule_out(row)


@route(bp, "POST", "/rules/validate", role="viewer", body=Rule, response=Validation, errors=(422, 502, 503),
       summary="Validate a rule (promtool, then live checks) without saving it; 422 lists the errors")
def validate(body: Rule):
    """The problems with a rule; 422 when any is an error."""
    problems = manage.validate(body, target(), now=time.time())
    if any(p.severity == "error" for p in problems):
        raise ApiError(422, "invalid_rule", [p.as_dict() for p in problems])
    return Validation(valid=True, problems=[p.as_dict() for p in problems])


@route(bp, "GET", "/rules/<int:rule_id>", role="viewer", response=RuleOut, errors=(404,), summary="One alert rule")
def get(rule_id: int):
    """A rule at its current version."""
    return rule_out(_row(rule_id))


@route(bp, "PUT", "/rules/<int:rule_id>", role="operator", body=RuleIn, response=RuleOut,
       errors=(404, 409, 422, 502, 503), summary="Change an alert rule: validated, stored as a new version and applied")
def update(rule_id: int, body: RuleIn):
    """Validate, store and apply the next version of a rule."""
    audit_target(f"rule:{rule_id}", {"reason": body.reason})
    row = _changing(manage.update, _row(rule_id), body.rule(), actor=current_principal().actor, reason=body.reason,
                    now=time.time())
    audit_target(f"rule:{rule_id}", {"version": row.version, "reason": body.reason})
    return rule_out(row)


@route(bp, "DELETE", "/rules/<int:rule_id>", role="operator", status=204, errors=(404, 502, 503),
       summary="Delete an alert rule (its history stays) and apply")
def delete(rule_id: int):
    """Remove a rule from Prometheus and from the list."""
    audit_target(f"rule:{rule_id}")
    _changing(manage.delete, _row(rule_id), actor=current_principal().actor, reason="deleted")


@route(bp, "POST", "/rules/<int:rule_id>/rollback", role="operator", body=RollbackIn, response=RuleOut,
       errors=(400, 404, 422, 502, 503), summary="Roll a rule back to an earlier version's content (a new version)")
def rollback(rule_id: int, body: RollbackIn):
    """Make an old version's content the next version, validated and applied."""
    audit_target(f"rule:{rule_id}", {"rollback_to": body.version})
    row = _changing(manage.rollback, _row(rule_id), body.version, actor=current_principal().actor, now=time.time())
    return rule_out(row)


class AlertNow(BaseModel):
    """One series of the rule pending or firing: its labels, since when, the value that made it."""

    labels: dict[str, str]
    state: str
    active_at: datetime.datetime | None
    value: float | None


class RuleNow(BaseModel):
    """What Prometheus does with a stored rule now; ``state`` is ``not_loaded`` when it does not run it."""

    state: str
    health: str | None = None
    last_error: str | None = None
    last_evaluation: str | None = None
    alerts: list[AlertNow] = []


@route(bp, "GET", "/rules/<int:rule_id>/now", role="viewer", response=RuleNow, errors=(404, 502, 503),
       summary="A rule's live state in Prometheus: inactive, pending or firing, and each active series")
def now(rule_id: int):
    """The rule as Prometheus runs it now."""
    row = _row(rule_id)
    loaded = loaded_rules().get((row.group_name, row.alert))
    if loaded is None:
        return RuleNow(state="not_loaded")
    return RuleNow(state=loaded.state, health=loaded.health, last_error=loaded.last_error or None,
                   last_evaluation=loaded.last_evaluation,
                   alerts=[AlertNow(labels=a.labels, state=a.state, active_at=a.active_at, value=a.value)
                           for a in loaded.alerts])


@route(bp, "GET", "/rules/<int:rule_id>/history", role="viewer", response=History, errors=(404,),
       summary="Every version of a rule: who, when, why and the diff")
def history(rule_id: int):
    """The versions of a rule, oldest first (a deleted rule's history too)."""
    db = store.session()
    if rule_id > MAX_ID or db.get(AlertRule, rule_id) is None:
        raise ApiError(404, "not_found", f"no rule with id {rule_id}")
    return History(items=[VersionOut.model_validate(v) for v in versions.history(db, rule_id)])


@route(bp, "POST", "/rules/<int:rule_id>/backtest", role="viewer", query=BacktestQuery, response=BacktestOut,
       errors=(404, 422, 502, 503), summary="When the rule would have fired over a past window, from Prometheus' history")
def run_backtest(rule_id: int, query: BacktestQuery):
    """Replay the rule's state machine over ``query_range`` samples of the window."""
    row = _row(rule_id)
    end = query.end.timestamp() if query.end else time.time()
    start = query.start.timestamp() if query.start else end - 3600
    step = query.step or target().interval()
    try:
        result = backtest(versions.to_rule(row), target().prometheus, start=start, end=end, step=step)
    except ValueError as e:
        raise ApiError(422, "invalid_window", str(e)) from e
    return BacktestOut(start=start, end=end, step=step, series=result.series, count=len(result.fired),
                       firing_seconds=result.firing_seconds, flapping_per_hour=result.flapping,
                       threshold=result.threshold, chart=result.chart,
                       alerts=[AlertOut(labels=a.labels, active_at=a.active_at, fired_at=a.fired_at,
                                        resolved_at=a.resolved_at) for a in result.alerts])
