"""The scaling pages: every target now (refreshing itself), and one target's replicas and load over time.

They only read (the viewer role is enough); scaling by hand goes through ``POST /api/v1/scale``
or ``opsconsole scale``, which check the operator role and record the override.
"""
from __future__ import annotations

import re

from flask import Blueprint, abort, render_template

from console import auth
from console.scaling import service
from console.scaling.metrics import NAME
from console.web import scaling_data as data
from console.web.dashboard import request_window
from console.web.dashboard_data import now
from console.web.pages import page_or_partial

bp = Blueprint("scaling", __name__)

REFRESH_SECONDS = 10


@bp.get("/scaling")
@auth.login_required
def index():
    """Each target's replicas, desired count, metrics against their targets and last decisions; htmx refreshes it."""
    at = now()
    return page_or_partial("scaling/index.html", "scaling/_targets.html", overview=data.overview(at), at=at,
                           refresh_seconds=REFRESH_SECONDS)


@bp.get("/scaling/<target>")
@auth.login_required
def target(target: str):
    """Replicas and load on one chart with every scale event marked, the decision records and the policy."""
    if not re.fullmatch(NAME, target):
        abort(404)
    window = request_window()
    try:
        page = data.target_page(target, window, now())
    except service.UnknownTarget as e:
        abort(404, str(e))
    return render_template("scaling/target.html", window=window, target=target, page=page)
