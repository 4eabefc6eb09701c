"""The on-call page: who is on call now and next in each schedule, the channels incidents go to (with the last
delivery through each, and a "send test" button for operators) and the escalation policies incidents are routed on.

Sending a test goes through the same channel object the notifier uses, once and without retries, so the
page shows what the channel answers right now; it is audited as ``oncall.test_channel``.
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from sqlalchemy import func, select

from console import auth, store
from console.alerts import notifier, oncall_config
from console.alerts.schedules import on_call
from console.alerts.models import Delivery
from console.alerts.notify import Message
from console.errors import NotifyError
from console.store import utcnow
from console.web.pages import audit_change, current_role_allows

bp = Blueprint("oncall", __name__)


def _page(*, result: tuple[str, str, bool] | None = None, status: int = 200):
    db = store.session()
    newest = select(Delivery.channel, func.max(Delivery.id).label("id")).group_by(Delivery.channel).subquery()
    last = {d.channel: d for d in db.scalars(select(Delivery).join(newest, Delivery.id == newest.c.id))}
    return render_template("oncall/index.html", channels=list(notifier().channels.values()), last=last,
                           policies=oncall_config().policies, may_test=current_role_allows("operator"),
                           schedules=[(s, on_call(s, utcnow())) for s in oncall_config().schedules],
                           result=result), status


@bp.get("/oncall")
@auth.login_required
def index():
    """The channels and the escalation policies."""
    return _page()


@bp.post("/oncall/channels/<name>/test")
@auth.role_required("operator")
def test_channel(name: str):
    """Send a test message through one channel and show what it answered."""
    channel = notifier().channels.get(name)
    if channel is None:
        abort(404, f"no channel {name} is configured")
    principal = auth.current_principal()
    message = Message(subject="[TEST] opsconsole test message",
                      text=f"A test of the {name} channel, sent by {principal.name} at {utcnow():%Y-%m-%d %H:%M:%S} "
                           "UTC from the on-call page. Nothing is wrong.\n")
    try:
        channel.send(message)
    except NotifyError as e:
        audit_change("oncall.test_channel", f"channel:{name}", "failed", {"error": e.detail[:500]})
        return _page(result=(name, e.detail, False), status=502)
    audit_change("oncall.test_channel", f"channel:{name}", "ok", {"target": channel.target})
    return _page(result=(name, f"sent to {channel.target}", True))
