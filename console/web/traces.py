"""The trace pages: search a service's traces or open one by id, and a trace's waterfall with the critical path,
errors and log lines."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from pydantic import ValidationError

from console import auth
from console.correlate import waterfall
from console.errors import UsageProblem
from console.web import dashboard_data as data
from console.web.api_traces import TracesQuery
from console.web.dashboard import filter_problem, request_window

bp = Blueprint("traces", __name__)

SEARCH_FIELDS = ("service", "operation", "min_duration_ms", "failed", "limit")


@bp.get("/traces")
@auth.login_required
def index():
    """The search form and, with a service, its newest traces; with a trace id, straight to its page."""
    window = request_window()
    trace_id = request.args.get("trace_id", "").strip()
    if trace_id:
        return redirect(url_for("traces.trace", trace_id=trace_id, **window.query_args()))
    args = {k: v for k, v in request.args.items() if v and k in SEARCH_FIELDS}
    query, problem = None, None
    if args.get("service"):
        try:
            query = TracesQuery.model_validate(args)
        except ValidationError as e:
            problem = filter_problem(e)
    if query is None:  # the form alone, with the services Jaeger knows
        found = data.search_traces(window, service=None, list_services=True)
    else:
        found = data.search_traces(window, service=query.service, operation=query.operation,
                                   min_ms=query.min_duration_ms, failed_only=query.failed, limit=query.limit,
                                   list_services=True)
    page = render_template("traces/index.html", window=window, args=args, found=found, query=query, problem=problem,
                           depth=data.FAILED_SEARCH_DEPTH)
    return (page, 400) if problem else page


@bp.get("/traces/<trace_id>")
@auth.login_required
def trace(trace_id: str):
    """The waterfall; Jaeger or Elasticsearch down leaves a banner and whatever the other gave."""
    window = request_window()
    try:
        detail = data.trace(trace_id)
    except UsageProblem as e:
        return render_template("traces/index.html", window=window, args={}, found=None, query=None,
                               problem=str(e)), 400
    rows = waterfall(detail.trace, detail.logs) if detail.trace else []
    placed = {line.span_id for row in rows for line in row.logs}
    unplaced = [line for line in detail.logs if line.span_id not in placed]
    return render_template("traces/trace.html", window=window, detail=detail, rows=rows, unplaced=unplaced,
                           around=data.trace_window(detail, data.now()))
