"""The scaling pages: every target now (refreshing itself), one target's replicas and load over time, and the
policy editor (YAML, checked as you type against the model and the live metrics).

Reading needs the viewer role; saving a policy needs the operator role, goes through the same
``service.save_policy`` as ``POST /api/v1/scaling/policies`` and is audited under its action.
Scaling by hand from a target's page needs the operator role too and goes through the same
``service.scale`` as ``POST /api/v1/scale`` and ``opsconsole scale``, audited as the API's.
"""
from __future__ import annotations

import math
import re

from flask import Blueprint, abort, redirect, render_template, request, url_for
from pydantic import ValidationError
from sqlalchemy import select

from console import auth, store
from console.backends import get_backend
from console.correlate import parse_window
from console.errors import BackendError, Conflict, OpsError, UsageProblem
from console.scaling import executor, recorded, service
from console.scaling.backtest import counterpart
from console.scaling.metrics import NAME
from console.scaling.models import PolicyRecord, ScaleRecord
from console.scaling.policy import Policy, PolicyError, check_document, document_diff, document_text
from console.scaling.timeline import backtest_chart
from console.web import scaling_data as data
from console.web.api_scale import ScaleRequest, scale_failure
from console.web.dashboard import request_window
from console.store import utcnow
from console.web.dashboard_data import now
from console.web.pages import audit_change, current_role_allows, page_or_partial

bp = Blueprint("scaling", __name__)

REFRESH_SECONDS = 10
BACKTEST_POINTS = 3000  # ticks charted at most: the step grows with the window
MAX_DOCUMENT = 64 * 1024
AUDIT_ACTION = "scale.save_policy"  # the API's name for the same change
SCALE_ACTION = "scale.scale"  # the API's name for a scale by hand
NEW_POLICY = """\
apiVersion: opsconsole/v1
kind: ScalingPolicy
metadata:
  name: orders
spec:
  scaleTargetRef:
    kind: Service
    name: orders
  minReplicas: 1
  maxReplicas: 3
  metrics:
    - type: Pods
      pods:
        metric:
          name: http_requests_per_second
        target:
          type: AverageValue
          averageValue: "10"
"""


@bp.app_template_filter("arrows")
def arrows(text: str) -> str:
    """A decision's ``->`` as one arrow: a browser breaks lines after a hyphen, so "-" and ">" could part."""
    return text.replace("->", "\u2192")


@bp.get("/scaling")
@auth.login_required
def index():
    """Each target's replicas, desired count, metrics against their targets and last decisions; htmx refreshes it."""
    at = now()
    return page_or_partial("scaling/index.html", "scaling/_targets.html", overview=data.overview(at), at=at,
                           refresh_seconds=REFRESH_SECONDS, may_edit=current_role_allows("operator"))


@bp.get("/scaling/<target>")
@auth.login_required
def target(target: str):
    """Replicas and load on one chart with every scale event marked, the decision records and the policy."""
    scaled = request.args.get("scaled", type=int)
    record = store.session().get(ScaleRecord, scaled) if scaled and 0 < scaled < 2**63 else None
    return _target_page(target, scaled=record if record is not None and record.target == target else None)


def _target_page(target: str, *, scaled: ScaleRecord | None = None, problem: str = "", status: int = 200):
    if not re.fullmatch(NAME, target):
        abort(404)
    window = request_window()
    try:
        page = data.target_page(target, window, now())
    except service.UnknownTarget as e:
        abort(404, str(e))
    return render_template("scaling/target.html", window=window, target=target, page=page,
                           saved=request.args.get("saved", type=int), scaled=scaled, problem=problem,
                           may_scale=current_role_allows("operator"), form=request.form,
                           override_minutes=service.OVERRIDE_SECONDS // 60), status


@bp.post("/scaling/<target>/scale")
@auth.role_required("operator")
def scale_now(target: str):
    """Scale by hand with a reason (or only try it, as a dry run); the page again with the record, or why not."""
    try:
        body = ScaleRequest.model_validate({"target": target, "replicas": request.form.get("replicas", ""),
                                            "reason": request.form.get("reason", "").strip(),
                                            "dry_run": request.form.get("dry_run") == "on"})
    except ValidationError as e:
        problem = "; ".join(f"{err['loc'][0]}: {err['msg']}" for err in e.errors())
        return _target_page(target, problem=problem, status=422)
    principal = auth.current_principal()
    audited = {"principal": principal, "action": SCALE_ACTION, "target": f"scale:{target}",
               "source": request.remote_addr, "detail": body.model_dump()}
    try:
        record = service.scale(store.session(), executor(), target=target, replicas=body.replicas,
                               reason=body.reason, dry_run=body.dry_run, actor=principal.actor, now=utcnow())
    except (LookupError, ValueError, OpsError) as e:
        failure = scale_failure(e)
        if failure is None:
            raise
        auth.record_audit(result=failure[1], **audited)
        return _target_page(target, problem=str(e), status=failure[0])
    auth.record_audit(result=auth.OK, **audited)
    return redirect(url_for("scaling.target", target=target, scaled=record.id), 303)


def _record(target: str) -> PolicyRecord:
    record = store.session().scalar(select(PolicyRecord).where(PolicyRecord.target == target)) \
        if re.fullmatch(NAME, target) else None
    if record is None:
        abort(404, f"no policy scales {target}")
    return record



def _editor(record: PolicyRecord | None, text: str, *, problems=(), banner: str = "", status: int = 200):
    versions = service.policy_versions(store.session(), record) if record is not None else []
    return render_template("scaling/policy.html", record=record, text=text, problems=list(problems), banner=banner,
                           versions=versions, may_edit=current_role_allows("operator")), status



def _posted() -> str:
    text = request.form.get("document", "")
    if len(text) > MAX_DOCUMENT:
        abort(413, f"a policy is at most {MAX_DOCUMENT // 1024} KiB")
    return text


def _save(record: PolicyRecord | None, text: str):
    """Validate and store the posted policy; the editor again with every problem (422) or the conflict (409)."""
    policy, problems = check_document(text)
    db = store.session()
    if policy is not None and record is not None and policy.name != record.name:
        problems.append(PolicyError("metadata.name", f"this page edits {record.name}; a new name is a new policy"))
    if policy is not None and record is None and \
            db.scalar(select(PolicyRecord).where(PolicyRecord.name == policy.name)) is not None:
        problems.append(PolicyError("metadata.name", f"a policy named {policy.name} exists: edit it on its page"))
    name = policy.name if policy is not None else (record.name if record is not None else "new")
    if problems:
        audit_change(AUDIT_ACTION, f"scaling-policy:{name}", "invalid_policy", {"problems": [str(p) for p in problems]})
        return _editor(record, text, problems=problems, status=422)
    try:
        saved = service.save_policy(db, policy, actor=auth.current_principal().actor)
    except Conflict as e:
        db.rollback()
        audit_change(AUDIT_ACTION, f"scaling-policy:{name}", "conflict", {"target": policy.target})
        return _editor(record, text, banner=str(e), status=409)
    audit_change(AUDIT_ACTION, f"scaling-policy:{name}", "ok", {"target": saved.target, "version": saved.version})
    return redirect(url_for("scaling.target", target=saved.target, saved=saved.version), 303)


@bp.route("/scaling/policies/new", methods=["GET", "POST"])
@auth.role_required("operator")
def new_policy():
    """The editor for a new policy; posting it validates and stores version 1."""
    if request.method == "GET":
        return _editor(None, NEW_POLICY)
    return _save(None, _posted())


@bp.get("/scaling/<target>/policy")
@auth.login_required
def policy(target: str):
    """The editor of the policy that scales ``target`` (read only below operator)."""
    record = _record(target)
    return _editor(record, document_text(record.document))


@bp.post("/scaling/<target>/policy")
@auth.role_required("operator")
def save_policy(target: str):
    """Validate and store the next version of the policy that scales ``target``."""
    return _save(_record(target), _posted())


def _version(record: PolicyRecord, number: int | None):
    found = service.policy_version(store.session(), record, number) if number is not None and number > 0 else None
    if found is None:
        abort(404, f"{record.name} has no version {number}")
    return found


@bp.get("/scaling/<target>/policy/diff")
@auth.login_required
def policy_diff(target: str):
    """A unified diff of two kept versions of the policy (``a`` before ``b``)."""
    record = _record(target)
    a, b = request.args.get("a", type=int), request.args.get("b", type=int)
    text = document_diff(_version(record, a).document, _version(record, b).document)
    return page_or_partial("scaling/policy_diff.html", "partials/diff.html", text=text, a=a, b=b, record=record)


@bp.post("/scaling/<target>/policy/rollback")
@auth.role_required("operator")
def rollback_policy(target: str):
    """Store an earlier version's document as the next version."""
    record = _record(target)
    return _save(record, document_text(_version(record, request.form.get("version", type=int)).document))


@bp.post("/scaling/policies/validate")
@auth.login_required
def validate():
    """Every problem of the posted policy, or what it would read now and ask for (htmx partial)."""
    policy, problems = check_document(_posted())
    overview = data.preview(policy, now()) if policy is not None else None
    return render_template("scaling/_policy_check.html", problems=problems, overview=overview)


@bp.get("/scaling/<target>/backtest")
@auth.login_required
def backtest(target: str):
    """The target's policy and its counterpart (predictive or reactive) replayed side by side over the range."""
    record = _record(target)
    try:
        window = parse_window(now=now(), range=request.args.get("range") or ("24h" if "start" not in request.args
                                                                             else None),
                              start=request.args.get("start") or None, end=request.args.get("end") or None)
    except UsageProblem as e:
        abort(400, str(e))
    lead = min(max(request.args.get("lead", 600, type=int), 0), 6 * 3600)
    startup = min(max(request.args.get("startup", 30, type=int), 0), 3600)
    span = (window.end - window.start).total_seconds()
    step = max(15, math.ceil(span / BACKTEST_POINTS / 15) * 15)
    policies = [Policy.model_validate(record.document)]
    other = counterpart(policies[0], lead_seconds=lead)
    policies += [other] if other is not None else []
    runs, error = [], None
    try:
        runs = recorded.compare(get_backend("prometheus"), policies, window.start.timestamp(), window.end.timestamp(),
                                step, startup_seconds=startup)
    except BackendError as e:
        error = str(e)
    except ValueError as e:
        abort(400, str(e))
    return render_template("scaling/backtest.html", record=record, target=target, window=window, runs=runs,
                           chart=backtest_chart(runs) if runs else None, error=error, lead=lead, startup=startup,
                           step=step, other=other)
