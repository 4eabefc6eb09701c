"""The silences page: Alertmanager's silences, live ones first, each with the alerts it mutes now; operators make
one for labels of their choosing (a maintenance window, say) and expire any of them.

A silence made here is checked by the same rules as ``POST /api/v1/silences`` and, like the incident
page's, audited as ``silences.create`` / ``silences.expire`` with the caller as Alertmanager's
``createdBy``. Alertmanager being down shows as a banner, never as a failed page.
"""
from __future__ import annotations

import datetime

from flask import Blueprint, redirect, render_template, request, url_for
from pydantic import ValidationError

from console import auth
from console.alerts.silence import format_matcher, parse_matchers
from console.backends import get_backend
from console.backends.alertmanager import Alert, Silence
from console.errors import BackendError
from console.store import utcnow
from console.web.api_silences import MatcherIn, SilenceIn
from console.web.incidents import DURATIONS
from console.web.pages import audit_change, current_role_allows

bp = Blueprint("silences", __name__)

EXPIRED_SHOWN = 20  # Alertmanager keeps expired silences for days: the latest few say enough


@bp.get("/silences")
@auth.login_required
def index():
    """Live silences (active, then pending) soonest end first, then the latest expired ones."""
    return _page()


@bp.post("/silences")
@auth.role_required("operator")
def create():
    """Make a silence from the form's matchers, duration and reason; the form comes back with what was wrong."""
    form = {k: request.form.get(k, "") for k in ("matchers", "duration", "comment")}
    try:
        matchers = parse_matchers(form["matchers"])
    except ValueError as e:
        return _page(form=form, problem=str(e), status=422)
    seconds = DURATIONS.get(form["duration"])
    problem = ("name at least one label" if not matchers else "choose a duration" if seconds is None
               else "say why you silence it" if not form["comment"].strip() else _refused(matchers, form["comment"]))
    if problem:
        return _page(form=form, problem=problem, status=422)
    now = utcnow()
    try:
        silence_id = get_backend("alertmanager").create_silence(
            matchers, now, now + datetime.timedelta(seconds=seconds), auth.current_principal().name, form["comment"])
    except BackendError as e:
        audit_change("silences.create", "silence", "error", {"matchers": [m.as_dict() for m in matchers], "error": str(e)})
        return _page(form=form, problem=f"Alertmanager did not take the silence: {e}", status=503)
    audit_change("silences.create", f"silence:{silence_id}", "ok", {"matchers": [m.as_dict() for m in matchers]})
    return redirect(url_for("silences.index", made=silence_id))


@bp.post("/silences/<silence_id>/expire")
@auth.role_required("operator")
def expire(silence_id: str):
    """End a silence now."""
    try:
        get_backend("alertmanager").expire_silence(silence_id)
    except BackendError as e:
        audit_change("silences.expire", f"silence:{silence_id}", "error", {"error": str(e)})
        # Alertmanager 0.25 answers 500 "silence not found" for an unknown id, and 422 for one that is not a UUID
        unknown = e.status in (400, 404, 422) or "silence not found" in e.detail
        return _page(problem=f"no silence {silence_id[:40]}" if unknown
                     else f"Alertmanager did not expire the silence: {e}", status=404 if unknown else 503)
    audit_change("silences.expire", f"silence:{silence_id}", "ok", {})
    return redirect(url_for("silences.index"))


def _refused(matchers, comment: str) -> str:
    # the API's rules (regexes that compile, a matcher that a missing label would not match), in its words
    try:
        SilenceIn(matchers=[MatcherIn(name=m.name, value=m.value, isRegex=m.is_regex, isEqual=m.is_equal)
                            for m in matchers], duration=60, comment=comment)
    except ValidationError as e:
        return "; ".join(error["msg"].removeprefix("Value error, ") for error in e.errors())
    return ""


def _page(*, form: dict | None = None, problem: str = "", status: int = 200):
    alertmanager = get_backend("alertmanager")
    try:
        silences, alerts, am_error = alertmanager.silences(), alertmanager.alerts(), ""
    except BackendError as e:
        silences, alerts, am_error = [], [], f"Alertmanager cannot be reached, its silences are not shown: {e}"
    live = sorted((s for s in silences if s.state != "expired"), key=lambda s: (s.state != "active", s.ends_at))
    expired = sorted((s for s in silences if s.state == "expired"), key=lambda s: s.ends_at, reverse=True)
    return render_template("silences/index.html", live=live, expired=expired[:EXPIRED_SHOWN],
                           expired_total=len(expired), muting=_muting(silences, alerts), now=utcnow(),
                           may_act=current_role_allows("operator"), form=form or {"duration": "1h"},
                           problem=problem, am_error=am_error, durations=DURATIONS,
                           made=request.args.get("made", ""), matcher_text=format_matcher), status


def _muting(silences: list[Silence], alerts: list[Alert]) -> dict[str, list[Alert]]:
    by_silence: dict[str, list[Alert]] = {s.id: [] for s in silences}
    for alert in alerts:
        for silence_id in alert.silenced_by:
            by_silence.setdefault(silence_id, []).append(alert)
    return by_silence
