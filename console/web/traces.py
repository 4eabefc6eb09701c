"""The trace pages: look a trace up by id, and its waterfall with the critical path, errors and log lines."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from console import auth
from console.correlate import waterfall
from console.errors import UsageProblem
from console.web import dashboard_data as data
from console.web.dashboard import request_window

bp = Blueprint("traces", __name__)


@bp.get("/traces")
@auth.login_required
def index():
    """A form asking for a trace id; with one, straight to its page."""
    window = request_window()
    trace_id = request.args.get("trace_id", "").strip()
    if trace_id:
        return redirect(url_for("traces.trace", trace_id=trace_id, **window.query_args()))
    return render_template("traces/index.html", window=window)


@bp.get("/traces/<trace_id>")
@auth.login_required
def trace(trace_id: str):
    """The waterfall; Jaeger or Elasticsearch down leaves a banner and whatever the other gave."""
    window = request_window()
    try:
        detail = data.trace(trace_id)
    except UsageProblem as e:
        return render_template("traces/index.html", window=window, problem=str(e)), 400
    rows = waterfall(detail.trace, detail.logs) if detail.trace else []
    placed = {line.span_id for row in rows for line in row.logs}
    unplaced = [line for line in detail.logs if line.span_id not in placed]
    return render_template("traces/trace.html", window=window, detail=detail, rows=rows, unplaced=unplaced,
                           around=data.trace_window(detail, data.now()))
