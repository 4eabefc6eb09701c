"""The logs page: text, service, level and trace filters over the range, counts over time, expandable lines."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from pydantic import ValidationError

from console import auth
from console.web import dashboard_data as data
from console.web.api_logs import LogsQuery
from console.web.dashboard import request_window

bp = Blueprint("logs", __name__)


@bp.get("/logs")
@auth.login_required
def index():
    """The search form and its results; Elasticsearch down leaves a banner."""
    window = request_window()
    args = {k: v for k, v in request.args.items() if v and k in ("q", "service", "level", "trace_id")}
    try:
        query = LogsQuery.model_validate({**args, "limit": 200})
    except ValidationError as e:
        return render_template("logs/index.html", window=window, args=args, found=None,
                               problem=f"bad filter: {e.errors()[0]['loc'][0]}"), 400
    found = data.search_logs(window, limit=query.limit, **query.criteria())
    peak = max((n for _, n in found.histogram), default=0)
    return render_template("logs/index.html", window=window, args=args, found=found, peak=peak)
