"""The incident pages: the list (open first, worst first; refreshing itself) and one incident with its evidence.

Viewers read; acknowledging, resolving, notes and silences need the operator role and go
through ``console.alerts.incidents`` and the Alertmanager backend like the API's, audited under
the same actions. Alertmanager being down shows as a banner, never as a failed page.
"""
from __future__ import annotations

import datetime
import re

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import select

from console import auth, store
from console.alerts import ack as ack_links
from console.alerts import ack_signer, incidents, postmortem
from console.alerts.escalation import Target
from console.alerts.models import EscalationStep
from console.backends import get_backend
from console.backends.alertmanager import Matcher
from console.correlate.window import iso
from console.errors import BackendError, Conflict
from console.store import utcnow
from console.web.dashboard_models import NAME
from console.web.pages import audit_change, page_or_partial

bp = Blueprint("incidents", __name__)

REFRESH_SECONDS = 10
LIST_LIMIT = 200
DURATIONS = {"30m": 1800, "1h": 3600, "2h": 7200, "4h": 14400, "24h": 86400}
MAX_ID = 2**63 - 1
# the service page opens on the incident with this much before and after it
MARGIN = datetime.timedelta(minutes=15)
MAX_TOKEN = 512


@bp.get("/incidents")
@auth.login_required
def index():
    """Incidents, open first and worst severity first, or those of one ``status`` or ``service`` (at most
    ``limit``); htmx refreshes the table."""
    status = request.args.get("status") or None
    if status is not None and status not in incidents.STATUSES:
        abort(400, f"unknown status {status[:40]!r} (known: {', '.join(incidents.STATUSES)})")
    service = request.args.get("service") or None
    if service is not None and not re.fullmatch(NAME, service):
        abort(400, f"not a service name: {service[:40]!r}")
    limit = request.args.get("limit", str(LIST_LIMIT))
    if not limit.isdigit() or not 1 <= int(limit) <= LIST_LIMIT:
        abort(400, f"limit must be a whole number from 1 to {LIST_LIMIT}")
    listed = incidents.listing(store.session(), status=status, service=service, limit=int(limit))
    return page_or_partial("incidents/index.html", "incidents/_rows.html", incidents=listed.items, status=status,
                           service=service, total=listed.total, limited=int(limit) < LIST_LIMIT,
                           refresh_seconds=REFRESH_SECONDS)


@bp.get("/incidents/<int:incident_id>")
@auth.login_required
def detail(incident_id: int):
    """One incident: labels, summary, its alerts, the timeline, and what an operator may do about it."""
    return _page(_get(incident_id))


@bp.get("/incidents/<int:incident_id>/timeline.md")
@auth.login_required
def timeline(incident_id: int):
    """The incident as Markdown (facts, alerts, timeline) to paste into its postmortem."""
    public = str(current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    link = (f"{public}{url_for('incidents.detail', incident_id=incident_id)}" if public
            else url_for("incidents.detail", incident_id=incident_id, _external=True))
    # plain text, so that the browser shows it to copy from rather than download it
    return Response(postmortem.timeline_markdown(_get(incident_id), link=link), mimetype="text/plain",
                    headers={"Content-Disposition": f'inline; filename="incident-{incident_id}.md"'})


@bp.post("/incidents/<int:incident_id>/ack")
@auth.role_required("operator")
def ack(incident_id: int):
    """Acknowledge the incident as the logged-in operator."""
    return _act("incidents.ack", incident_id, lambda db, actor, now: incidents.acknowledge(
        db, incident_id, actor=actor, now=now))


@bp.get("/ack/<token>")
def ack_link(token: str):
    """What an ack link would acknowledge, and the button that does it: a GET never acts, as mail scanners and chat
    link previews fetch it. No login: the signed, single-use link is the credential."""
    try:
        _, incident = ack_links.check(store.session(), ack_signer(), _token(token))
    except ack_links.AckLinkRefused as e:
        return _ack_refused(e)
    return render_template("incidents/ack.html", incident=incident, token=token)


@bp.post("/ack/<token>")
def take_ack_link(token: str):
    """Spend the ack link and acknowledge its incident."""
    db = store.session()
    try:
        incident = ack_links.take(db, ack_signer(), _token(token), now=utcnow(), source=request.remote_addr)
    except ack_links.AckLinkRefused as e:
        audit_change("incidents.ack", "ack-link", f"refused_{e.reason}", {"via": "ack link"})
        return _ack_refused(e)
    except Conflict as e:
        db.rollback()
        # the link may be spent by now (someone took the incident between our check and the ack): read it by id
        incident_id, _ = ack_signer().loads(token)
        return render_template("incidents/ack.html", incident=incidents.get(db, incident_id), banner=str(e)), 409
    audit_change("incidents.ack", f"incident:{incident.id}", "ok", {"via": "ack link"})
    return render_template("incidents/ack.html", incident=incident, done=True)


def _token(token: str) -> str:
    if len(token) > MAX_TOKEN:
        raise ack_links.AckLinkRefused("unknown", "this is not a valid acknowledgement link")
    return token


def _ack_refused(refused: ack_links.AckLinkRefused):
    status = 404 if refused.reason == "unknown" else 410
    return render_template("incidents/ack.html", incident=refused.incident, refused=refused), status


@bp.post("/incidents/<int:incident_id>/resolve")
@auth.role_required("operator")
def resolve(incident_id: int):
    """Resolve the incident by hand."""
    return _act("incidents.resolve", incident_id, lambda db, actor, now: incidents.resolve(
        db, incident_id, actor=actor, now=now))


@bp.post("/incidents/<int:incident_id>/notes")
@auth.role_required("operator")
def note(incident_id: int):
    """Add a note to the timeline."""
    text = request.form.get("text", "").strip()[:5000]
    if not text:
        return _page(_get(incident_id), banner="a note needs some text", status=422)
    return _act("incidents.add_note", incident_id, lambda db, actor, now: incidents.add_note(
        db, incident_id, text=text, actor=actor, now=now))


@bp.post("/incidents/<int:incident_id>/reassign")
@auth.role_required("operator")
def reassign(incident_id: int):
    """Hand the incident to another console user."""
    to, note = request.form.get("to", "").strip()[:64], request.form.get("note", "").strip()[:2000]
    try:
        return _act("incidents.reassign", incident_id, lambda db, actor, now: incidents.reassign(
            db, incident_id, to=to, note=note, actor=actor, now=now))
    except incidents.UnknownUser as e:
        return _page(_get(incident_id), banner=str(e), status=422)


@bp.post("/incidents/<int:incident_id>/silence")
@auth.role_required("operator")
def silence(incident_id: int):
    """Silence the incident's alerts in Alertmanager for the chosen time, with the operator's comment."""
    incident = _get(incident_id)
    comment = request.form.get("comment", "").strip()[:2000]
    labels = incident_labels(incident)
    matchers = [Matcher(name, labels[name]) for name in request.form.getlist("matcher") if name in labels]
    seconds = DURATIONS.get(request.form.get("duration", ""))
    problem = ("say why you silence it" if not comment else "choose at least one label" if not matchers
               else "choose a duration" if seconds is None else "")
    if problem:
        return _page(incident, silence_error=problem, status=422)
    actor, now = auth.current_principal().name, utcnow()
    ends = now + datetime.timedelta(seconds=seconds)
    try:
        silence_id = get_backend("alertmanager").create_silence(matchers, now, ends, actor, comment)
    except BackendError as e:
        audit_change("silences.create", "silence", "error", {"incident_id": incident_id, "error": str(e)})
        return _page(incident, silence_error=f"Alertmanager did not take the silence: {e}", status=503)
    incidents.record_silence(store.session(), incident_id, silence_id=silence_id, until=ends, actor=actor, now=now)
    audit_change("silences.create", f"silence:{silence_id}", "ok",
                 {"incident_id": incident_id, "matchers": [m.as_dict() for m in matchers]})
    return redirect(url_for("incidents.detail", incident_id=incident_id))


@bp.post("/incidents/<int:incident_id>/silences/<silence_id>/expire")
@auth.role_required("operator")
def unsilence(incident_id: int, silence_id: str):
    """Expire a silence that mutes the incident's alerts, and say so on its timeline."""
    incident = _get(incident_id)
    try:
        get_backend("alertmanager").expire_silence(silence_id)
    except BackendError as e:
        audit_change("silences.expire", f"silence:{silence_id}", "error", {"incident_id": incident_id})
        return _page(incident, silence_error=f"Alertmanager did not expire the silence: {e}", status=503)
    actor = auth.current_principal().name
    incidents.record_unsilence(store.session(), incident_id, silence_id=silence_id, actor=actor, now=utcnow())
    audit_change("silences.expire", f"silence:{silence_id}", "ok", {"incident_id": incident_id})
    return redirect(url_for("incidents.detail", incident_id=incident_id))


def incident_labels(incident) -> dict[str, str]:
    """The labels every alert of the incident shares (what a silence of the incident should match)."""
    sets = [dict(a.labels) for a in incident.alerts] or [dict(incident.labels)]
    return {k: v for k, v in sets[0].items() if all(s.get(k) == v for s in sets[1:])}


def service_link(incident) -> str | None:
    """The service page over the incident's time, a little before it started to a little after it ended."""
    if not incident.service:
        return None
    end = (incident.resolved_at or utcnow()) + MARGIN
    return url_for("services.service", service=incident.service, range="custom",
                   start=iso(incident.opened_at - MARGIN), end=iso(min(end, utcnow())))


def _page(incident, *, banner: str = "", silence_error: str = "", status: int = 200):
    principal = auth.current_principal()
    may_act = principal is not None and auth.role_allows(principal.role, "operator")
    try:
        held, am_error = _held(incident), ""
    except BackendError as e:
        held, am_error = {}, f"Alertmanager cannot be reached, its view of these alerts is missing: {e}"
    steps = store.session().scalars(select(EscalationStep).where(EscalationStep.incident_id == incident.id)
                                    .order_by(EscalationStep.due_at, EscalationStep.step)).all()
    return render_template("incidents/incident.html", incident=incident, may_act=may_act, banner=banner,
                           am_error=am_error, silence_error=silence_error, held=held, labels=incident_labels(incident),
                           durations=DURATIONS, service_url=service_link(incident), steps=steps,
                           moved_to=incidents.moved_to(store.session(), incident),
                           users=[u for u in auth.list_users(store.session()) if not u.disabled] if may_act else [],
                           describe=lambda target: Target.model_validate(target).describe(),
                           refresh_seconds=REFRESH_SECONDS, elapsed=postmortem.elapsed), status


def _held(incident) -> dict:
    """Alertmanager's view of each of the incident's alerts (active, or suppressed and by what), by fingerprint."""
    name = incident.labels.get("alertname", "").replace("\\", "\\\\").replace('"', '\\"')
    found = get_backend("alertmanager").alerts([f'alertname="{name}"'] if name else [])
    by_fingerprint = {a.fingerprint: a for a in found}
    # a webhook relayed through another Alertmanager carries its fingerprints: the labels still match
    by_labels = {tuple(sorted(a.labels.items())): a for a in found}
    return {a.fingerprint: by_fingerprint.get(a.fingerprint) or by_labels.get(tuple(sorted(a.labels.items())))
            for a in incident.alerts}


def _act(action: str, incident_id: int, change):
    _get(incident_id)
    try:
        change(store.session(), auth.current_principal().name, utcnow())
    except Conflict as e:
        audit_change(action, f"incident:{incident_id}", "conflict", {})
        return _page(_get(incident_id), banner=str(e), status=409)
    audit_change(action, f"incident:{incident_id}", "ok", {})
    return redirect(url_for("incidents.detail", incident_id=incident_id))


def _get(incident_id: int):
    try:
        # ids beyond a BIGINT cannot exist, and would overflow the database driver
        if incident_id > MAX_ID:
            raise incidents.IncidentNotFound(incident_id)
        return incidents.get(store.session(), incident_id)
    except incidents.IncidentNotFound as e:
        abort(404, str(e))
