"""``/api/v1/traces/<trace_id>``: a trace's spans (with its critical path) and the log lines that carry its id."""
from __future__ import annotations

from pydantic import BaseModel

from console.correlate import critical_path
from console.web import dashboard_data as data
from console.web.apiroutes import ApiError, area_blueprint, route
from console.web.dashboard_models import LogOut, SpanOut, log_out, span_out

bp = area_blueprint("traces_api")


class TraceOut(BaseModel):
    """Spans in start order and log lines oldest first. ``found`` is false when Jaeger holds no such trace
    (its memory store forgets); the log lines may still be there. ``errors`` names a backend that failed."""

    trace_id: str
    found: bool
    duration_us: int
    services: list[str]
    spans: list[SpanOut]
    logs: list[LogOut]
    errors: dict[str, str]


@route(bp, "GET", "/traces/<trace_id>", role="viewer", tag="dashboard", response=TraceOut, errors=(400, 503),
       summary="A trace's spans and the log lines that carry its id")
def get_trace(trace_id: str):
    """Spans from Jaeger and lines from Elasticsearch, fetched concurrently; one of them down is reported in
    ``errors``, both down is a 503."""
    detail = data.trace(trace_id)
    errors = {k: v for k, v in (("jaeger", detail.trace_error), ("elasticsearch", detail.logs_error)) if v}
    if len(errors) == 2:
        raise ApiError(503, "backend_unavailable", "; ".join(errors.values()))
    spans = detail.trace.spans if detail.trace else []
    on_path = set(critical_path(spans))
    return TraceOut(trace_id=detail.trace_id, found=detail.trace is not None,
                    duration_us=detail.trace.duration_us if detail.trace else 0,
                    services=detail.trace.services if detail.trace else [],
                    spans=[span_out(s, s.span_id in on_path) for s in spans],
                    logs=[log_out(line) for line in detail.logs], errors=errors)
