"""The I/O of the dashboard: run a view's backend queries concurrently and hand the outcomes to the pure assembly.

Every function takes the adapters it reads and a ``timeout`` for the whole fan-out; a backend
that fails leaves its part as an error and the rest is still assembled.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from console.backends.elasticsearch import ElasticsearchLogs, LogLine
from console.backends.jaeger import Jaeger, Trace
from console.backends.prometheus import Prometheus
from console.correlate.fetch import Fetched, gather
from console.correlate.red import Red, exemplar_query, red_queries, red_rows, worst_first
from console.correlate.report import Report, assemble
from console.correlate.window import Window

TRACE_SEARCH_LIMIT = 100  # Jaeger returns the newest traces first; slowest and failing are picked among these
TRACE_LOG_LIMIT = 200
# Jaeger's clock and the log shipper lag a little: look for a trace's lines this far around its spans
LOG_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class Overview:
    """Every service's RED over a window, worst first, or the error that stopped it."""

    window: Window
    services: list[Red]
    error: str | None = None
    failure: Exception | None = None


def red_calls(prom: Prometheus, window: Window, *, prefix: str = "now", service: str | None = None,
              by: str = "service") -> dict:
    """The RED queries over ``window`` as named calls (``<prefix>:<metric>``), evaluated at its end."""
    return {f"{prefix}:{key}": (lambda q=q: prom.query(q, window.end))
            for key, q in red_queries(window.seconds, service=service, by=by).items()}


def overview(prom: Prometheus, window: Window, *, timeout: float) -> Overview:
    """Every service's RED over ``window``, worst first."""
    fetched = gather(red_calls(prom, window), timeout=timeout)
    rows, error = red_rows(fetched)
    return Overview(window, worst_first(rows), error, next((f.failure for f in fetched.values() if not f.ok), None))


def what_happened(prom: Prometheus, jaeger: Jaeger, logs: ElasticsearchLogs, service: str, window: Window, *,
                  timeout: float, history: Fetched | None = None) -> Report:
    """The "what happened" report: RED now and before, top errors, exemplars, traces, then their log lines;
    ``history`` (the console's own rule changes and scale actions) is read by the caller, from the store."""
    calls = {**red_calls(prom, window, service=service),
             **red_calls(prom, window.previous(), prefix="before", service=service),
             "errors": lambda: logs.top_errors(start=window.start, end=window.end, service=service),
             "exemplars": lambda: prom.query_exemplars(exemplar_query(service), window.start, window.end),
             "traces": lambda: jaeger.find_traces(service, window.start, window.end, limit=TRACE_SEARCH_LIMIT)}
    fetched = gather(calls, timeout=timeout)
    ids = assemble(service, window, fetched).trace_ids()
    if not ids:
        return assemble(service, window, fetched, history=history)
    # the second round needs the first one's trace ids, so it cannot run alongside it
    lines = gather({"logs": lambda: logs.search_logs(trace_ids=ids, start=window.start - LOG_SLACK,
                                                     end=window.end + LOG_SLACK, limit=TRACE_LOG_LIMIT,
                                                     oldest_first=True)}, timeout=timeout)["logs"]
    return assemble(service, window, fetched, logs=lines, history=history)


@dataclass(frozen=True)
class TraceDetail:
    """A trace with the log lines that carry its id; either side may have failed (``*_error``)."""

    trace_id: str
    trace: Trace | None
    logs: list[LogLine]
    trace_error: str | None = None
    logs_error: str | None = None


def trace_detail(jaeger: Jaeger, logs: ElasticsearchLogs, trace_id: str, *, timeout: float) -> TraceDetail:
    """The spans of ``trace_id`` (None when Jaeger has none) and its log lines, fetched concurrently."""
    fetched = gather({"trace": lambda: jaeger.trace(trace_id),
                      "logs": lambda: logs.search_logs(trace_id=trace_id, limit=TRACE_LOG_LIMIT, oldest_first=True)},
                     timeout=timeout)
    trace, lines = fetched["trace"], fetched["logs"]
    return TraceDetail(trace_id, trace.value, lines.value or [], trace.error, lines.error)

