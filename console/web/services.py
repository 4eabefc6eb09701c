"""The services pages: the overview (every service worst first, refreshing itself) and one service's page."""
from __future__ import annotations

import re

from flask import Blueprint, abort, render_template

from console import auth
from console.web import dashboard_data as data
from console.web.dashboard import request_window
from console.web.dashboard_models import NAME
from console.web.pages import page_or_partial

bp = Blueprint("services", __name__)

REFRESH_SECONDS = 10


@bp.get("/services")
@auth.login_required
def index():
    """Every service's RED over the range, worst first; htmx refreshes the table."""
    window = request_window()
    return page_or_partial("services/index.html", "services/_rows.html", window=window,
                           overview=data.services_overview(window, sparklines=True), refresh_seconds=REFRESH_SECONDS)


@bp.get("/services/<service>")
@auth.login_required
def service(service: str):
    """Charts with exemplar dots, what happened (top errors, traces, their logs), top routes and instances."""
    if not re.fullmatch(NAME, service):
        abort(404)
    window = request_window()
    return render_template("services/service.html", window=window, service=service,
                           page=data.service_page(service, window))
