"""``/api/v1/traces``: a service's newest traces by operation, duration and failure; ``/api/v1/traces/<trace_id>``:
a trace's spans (with its critical path) and the log lines that carry its id."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from console.correlate import critical_path
from console.web import dashboard_data as data
from console.web.apiroutes import ApiError, area_blueprint, route
from console.web.dashboard_models import (
    NAME,
    LogOut,
    SpanOut,
    WindowOut,
    WindowQuery,
    log_out,
    span_out,
    window_out,
)

bp = area_blueprint("traces_api")


class TracesQuery(WindowQuery):
    """Which traces: those ``service`` took part in, one of its spans named ``operation``, lasting at least
    ``min_duration_ms``; with ``failed``, only those where a span failed (looked for among the newest 200)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"service": "payments", "failed": True,
                                                                               "range": "1h"}]})

    service: str = Field(pattern=NAME)
    operation: str | None = Field(default=None, min_length=1, max_length=200)
    min_duration_ms: int | None = Field(default=None, ge=0, le=86_400_000)
    failed: bool = False
    limit: int = Field(default=20, ge=1, le=100)


class TraceSummaryOut(BaseModel):
    """A trace in a list: its root span's service and operation, start, duration, span count, whether one failed."""

    model_config = ConfigDict(from_attributes=True)

    trace_id: str
    service: str
    operation: str
    start: datetime
    duration_ms: float
    span_count: int
    error: bool
    services: list[str]


class TraceListOut(BaseModel):
    """The traces found, newest first; ``searched`` is how many Jaeger answered before the ``failed`` filter."""

    window: WindowOut
    searched: int
    items: list[TraceSummaryOut]


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


@route(bp, "GET", "/traces", role="viewer", tag="dashboard", query=TracesQuery, response=TraceListOut,
       errors=(400, 502, 503), summary="A service's newest traces by operation, minimum duration and failure")
def list_traces(query: TracesQuery):
    """Summaries newest first; Jaeger down is a 503."""
    window = query.window(data.now())
    found = data.search_traces(window, service=query.service, operation=query.operation,
                               min_ms=query.min_duration_ms, failed_only=query.failed, limit=query.limit)
    if found.failure is not None:
        raise found.failure
    return TraceListOut(window=window_out(window), searched=found.searched,
                        items=[TraceSummaryOut.model_validate(t) for t in found.traces])
