"""The rule pages: the list with live state, the editor (inline validation, save, history, diff, rollback, backtest).

Changes go through ``console.rules.manage`` like the API's, are audited under the same
actions (``rules.create``, ``rules.update``, ``rules.rollback``), and need the operator role;
viewers read, validate and backtest.
"""
from __future__ import annotations

import datetime
import math
import time

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from pydantic import ValidationError

from console import auth, store
from console.errors import BackendError, Conflict, UsageProblem
from console.rules import RuleInvalid, loaded_rules, manage, target, versions
from console.rules.apply import ApplyFailed
from console.rules.backtest import MAX_BACKTEST_POINTS, backtest, chart_columns
from console.rules.model import Rule
from console.rules.promtool import ERROR, Problem, check_rules
from console.web.pages import audit_change, current_role_allows, wants_partial

bp = Blueprint("rules", __name__)

# backtest windows offered in the editor, in seconds
RANGES = {"1h": 3600, "6h": 6 * 3600, "24h": 86400, "7d": 7 * 86400}
FIELDS = ("group", "alert", "expr", "for", "keep_firing_for", "labels", "annotations", "reason")
MAX_ID = 2**63 - 1


@bp.app_template_filter("utc_time")
def utc_time(seconds: float) -> str:
    """Unix seconds as a UTC date and time."""
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%m-%d %H:%M:%S UTC")


def parse_pairs(text: str, field: str) -> dict[str, str]:
    """``name: value`` lines into a mapping; ``UsageProblem`` naming the line that has no colon."""
    pairs = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise UsageProblem(f"{field} line {number}: write it as 'name: value'")
        pairs[name.strip()] = value.strip()
    return pairs


def format_pairs(pairs: dict[str, str]) -> str:
    """The textarea form of labels or annotations."""
    return "\n".join(f"{name}: {value}" for name, value in pairs.items())


def form_rule(form) -> tuple[Rule | None, list[Problem]]:
    """The rule a submitted form describes, or None and every problem that keeps it from being one."""
    problems = []
    fields = {name: form.get(name, "") for name in ("group", "alert", "expr", "for", "keep_firing_for")}
    for name in ("labels", "annotations"):
        try:
            fields[name] = parse_pairs(form.get(name, ""), name)
        except UsageProblem as e:
            problems.append(Problem(name, ERROR, str(e)))
            fields[name] = {}  # the other fields are still checked: every problem is shown at once
    fields["for"] = fields["for"] or "0s"
    fields["keep_firing_for"] = fields["keep_firing_for"] or "0s"
    try:
        rule = Rule.model_validate(fields)
    except ValidationError as e:
        rule = None
        problems += [Problem(".".join(str(p) for p in err["loc"]) or "rule", ERROR, err["msg"]) for err in e.errors()]
    return (None, problems) if problems else (rule, [])


def field_problems(problems: list[Problem]) -> dict[str, list[Problem]]:
    """Problems by the form field they point at (``annotations.summary`` belongs to ``annotations``)."""
    found: dict[str, list[Problem]] = {name: [] for name in FIELDS}
    for p in problems:
        name = p.field.split(".")[0]
        found.setdefault(name if name in FIELDS else "rule", []).append(p)
    return found


def _checked(form) -> tuple[Rule | None, list[Problem]]:
    rule, problems = form_rule(form)
    if rule is None:
        return None, problems + expr_problems(form, problems)
    return rule, manage.validate(rule, target(), now=time.time())


def expr_problems(form, problems: list[Problem]) -> list[Problem]:
    """What promtool finds wrong with the form's expression when the rest of the form is malformed (a rule that
    is not one cannot be checked whole): checked on a stand-in rule, so every problem is shown at once."""
    expr = form.get("expr", "")
    if not expr.strip() or any(p.field.startswith("expr") for p in problems):
        return []
    return [p for p in check_rules([Rule(group="check", alert="Check", expr=expr)]) if p.field.startswith("expr")]


def _values(rule: Rule | None, form=None) -> dict[str, str]:
    if form is not None:
        return {name: form.get(name, "") for name in FIELDS}
    if rule is None:
        return {name: "" for name in FIELDS} | {"for": "1m", "keep_firing_for": "0s"}
    spec = rule.spec()
    return {**{k: spec[k] for k in ("group", "alert", "expr", "for", "keep_firing_for")},
            "labels": format_pairs(rule.labels), "annotations": format_pairs(rule.annotations), "reason": ""}


def _submitted() -> tuple[dict[str, str], Rule | None, list[Problem]]:
    """The posted form's values, its rule and what is wrong with it before validation (a reason is required)."""
    values = _values(None, request.form)
    values["reason"] = values["reason"].strip()[:500]
    rule, problems = form_rule(request.form)
    if rule is None:
        problems += expr_problems(request.form, problems)
    if not values["reason"]:
        problems.append(Problem("reason", ERROR, "say why the rule changes"))
    return values, rule, problems


def _row(rule_id: int):
    row = versions.get(store.session(), rule_id) if rule_id <= MAX_ID else None
    if row is None:
        abort(404, f"no rule with id {rule_id}")
    return row



def _live() -> tuple[dict, str]:
    """The rules Prometheus runs, by (group, alert), or why they are unknown."""
    try:
        return loaded_rules(), ""
    except BackendError as e:
        return {}, f"Live state unavailable: {e}"


def _editor(row, *, values: dict[str, str], problems: list[Problem] = (), banner: str = "", status: int = 200):
    history = versions.history(store.session(), row.id) if row is not None else []
    live, live_banner = _live() if row is not None else ({}, "")
    # the groups there are, offered on the group field: a typo would otherwise start a new rule file
    groups = sorted({r.group_name for r in versions.active(store.session())})
    page = render_template("rules/rule.html", row=row, values=values, problems=list(problems), groups=groups,
                           by_field=field_problems(list(problems)), banner=banner, history=history,
                           may_edit=current_role_allows("operator"), ranges=RANGES, saved=request.args.get("saved"),
                           loaded=live.get((row.group_name, row.alert)) if row is not None else None,
                           live_banner=live_banner)
    return page, status


def _change(action: str, target_name: str, detail: dict, change, row, values, problems=()):
    """Run a change through ``manage``; a refusal re-renders the editor with why, and is audited."""
    try:
        saved = change()
    except RuleInvalid as e:
        audit_change(action, target_name, "invalid_rule", detail)
        return _editor(row, values=values, problems=e.problems, status=422)
    except Conflict as e:
        audit_change(action, target_name, "conflict", detail)
        return _editor(row, values=values, problems=problems, banner=str(e), status=409)
    except ApplyFailed as e:
        audit_change(action, target_name, "rules_not_applied", detail)
        return _editor(row, values=values, problems=problems, banner=f"Not applied, nothing changed: {e}", status=503)
    except BackendError as e:
        audit_change(action, target_name, "error", detail)
        return _editor(row, values=values, problems=problems, banner=str(e), status=502)
    audit_change(action, f"rule:{saved.id}", "ok", {**detail, "version": saved.version})
    return redirect(url_for("rules.rule", rule_id=saved.id, saved=saved.version), 303)


@bp.get("/rules")
@auth.login_required
def index():
    """Every rule by group, with its live state, last evaluation and active alerts from Prometheus."""
    rows = versions.active(store.session())
    live, banner = _live()
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(row.group_name, []).append((row, live.get((row.group_name, row.alert))))
    return render_template("rules/index.html", groups=groups, banner=banner, may_edit=current_role_allows("operator"))


@bp.route("/rules/new", methods=["GET", "POST"])
@auth.role_required("operator")
def new():
    """The form for a new rule; posting it validates, stores version 1 and applies."""
    if request.method == "GET":
        return _editor(None, values=_values(None))
    values, rule, problems = _submitted()
    name = f"rule:{values['group']}/{values['alert']}"
    detail = {"group": values["group"], "alert": values["alert"], "reason": values["reason"]}
    if problems:
        audit_change("rules.create", name, "invalid_rule", detail)
        return _editor(None, values=values, problems=problems, status=422)
    return _change("rules.create", name, detail,
                   lambda: manage.create(store.session(), target(), rule, actor=auth.current_principal().actor,
                                         reason=values["reason"], now=time.time()), None, values)


@bp.get("/rules/<int:rule_id>")
@auth.login_required
def rule(rule_id: int):
    """The editor of one rule (read-only below operator), its versions, diffs and backtest."""
    row = _row(rule_id)
    return _editor(row, values=_values(versions.to_rule(row)))


@bp.post("/rules/<int:rule_id>")
@auth.role_required("operator")
def save(rule_id: int):
    """Validate, store as the next version and apply."""
    row = _row(rule_id)
    values, rule, problems = _submitted()
    detail = {"reason": values["reason"]}
    if problems:
        audit_change("rules.update", f"rule:{rule_id}", "invalid_rule", detail)
        return _editor(row, values=values, problems=problems, status=422)
    return _change("rules.update", f"rule:{rule_id}", detail,
                   lambda: manage.update(store.session(), target(), row, rule, actor=auth.current_principal().actor,
                                         reason=values["reason"], now=time.time()), row, values)


@bp.post("/rules/<int:rule_id>/rollback")
@auth.role_required("operator")
def rollback(rule_id: int):
    """Make an earlier version's content the next version."""
    row = _row(rule_id)
    number = request.form.get("version", type=int)
    if number is None or number < 1 or number > MAX_ID:
        abort(400, "which version to roll back to?")
    values = _values(versions.to_rule(row))
    try:
        return _change("rules.rollback", f"rule:{rule_id}", {"rollback_to": number},
                       lambda: manage.rollback(store.session(), target(), row, number,
                                               actor=auth.current_principal().actor, now=time.time()), row, values)
    except UsageProblem as e:
        abort(400, str(e))


@bp.post("/rules/validate")
@auth.login_required
def validate():
    """The problems of the form's rule, as the partial that marks them at their fields (htmx)."""
    try:
        _, problems = _checked(request.form)
    except BackendError as e:
        problems = [Problem("rule", "warning", f"live checks unavailable: {e}")]
    return render_template("rules/_problems.html", problems=problems, by_field=field_problems(problems), oob=True)


@bp.get("/rules/<int:rule_id>/diff")
@auth.login_required
def diff(rule_id: int):
    """A unified diff of the rendered YAML of two versions of a rule (``a`` before ``b``)."""
    db = store.session()
    _row(rule_id)
    numbers = (request.args.get("a", type=int), request.args.get("b", type=int))
    found = [versions.version(db, rule_id, n) if n is not None and 1 <= n <= MAX_ID else None for n in numbers]
    if None in found:
        abort(404, "no such version")
    old, new = (versions.to_rule(v) if v.spec is not None else None for v in found)
    text = versions.diff(old, new)
    template = "partials/diff.html" if wants_partial() else "rules/diff.html"
    response = make_response(render_template(template, text=text, a=numbers[0], b=numbers[1], rule_id=rule_id))
    response.vary.add("HX-Request")
    return response


@bp.post("/rules/backtest")
@auth.login_required
def run_backtest():
    """The would-be alerts of the form's rule over the chosen range of real history."""
    span = RANGES.get(request.form.get("range", "1h"), 3600)
    rule, problems = form_rule(request.form)
    if rule is None:
        return render_template("rules/_backtest.html", result=None, problems=problems)
    end = time.time()
    try:
        # the evaluation interval, unless the range would need more points than Prometheus answers
        step = max(target().interval(), math.ceil(span / (MAX_BACKTEST_POINTS - 1)))
        result = backtest(rule, target().prometheus, start=end - span, end=end, step=step)
    except BackendError as e:
        return render_template("rules/_backtest.html", result=None, problems=[], banner=str(e))
    return render_template("rules/_backtest.html", result=result, problems=[], columns=chart_columns(result))
