"""The logs page: text, service, level and trace filters over the range, counts over time, expandable lines."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request
from pydantic import ValidationError

from console import auth
from console.correlate import Window, parse_time
from console.errors import UsageProblem
from console.web import dashboard_data as data
from console.web.api_logs import LogsQuery
from console.web.dashboard import filter_problem, request_window

bp = Blueprint("logs", __name__)

TAIL_LIMIT = 200
PAGE_LIMIT = 200


def _query(args: dict[str, str], limit: int) -> LogsQuery:
    return LogsQuery.model_validate({**args, "limit": limit})


def _filters() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if v and k in ("q", "service", "level", "trace_id")}


@bp.get("/logs")
@auth.login_required
def index():
    """The search form and its results; Elasticsearch down leaves a banner."""
    window = request_window()
    args = _filters()
    try:
        query = _query(args, request.args.get("limit") or PAGE_LIMIT)
    except ValidationError as e:
        return render_template("logs/index.html", window=window, args=args, found=None,
                               problem=filter_problem(e)), 400
    found = data.search_logs(window, limit=query.limit, list_services=True, **query.criteria())
    # the links keep the filters, and a page size asked for
    carry = {**args, **({"limit": str(query.limit)} if query.limit != PAGE_LIMIT else {})}
    width = timedelta(seconds=found.interval_s)
    bars = [(t, n, Window(max(t, window.start), min(t + width, window.end))) for t, n in found.histogram]
    matched = None if found.histogram_error else sum(n for _, n in found.histogram)
    older = None
    if found.lines and len(found.lines) == query.limit and (matched is None or matched > query.limit):
        # the same search up to the oldest line shown (that millisecond's lines may show again)
        older = Window(window.start, found.lines[-1].timestamp)
    return render_template("logs/index.html", window=window, args=args, carry=carry, found=found, bars=bars,
                           peak=max((n for _, n in found.histogram), default=0), matched=matched, older=older)


@bp.get("/logs/tail")
@auth.login_required
def tail():
    """Rows of the lines matching the filters from ``since`` to now, newest first, for the page's live tail."""
    window = request_window()
    try:
        query = _query(_filters(), TAIL_LIMIT)
        since = parse_time(request.args.get("since", ""))
    except (ValidationError, UsageProblem) as e:
        return render_template("logs/_tail.html", window=window, lines=[], error=f"bad tail request: {e}"), 400
    found = data.tail_logs(since, limit=query.limit, **query.criteria())
    return render_template("logs/_tail.html", window=window, lines=found.value or [], error=found.error)
