"""The I/O of the dashboard: run a view's backend queries concurrently and hand the outcomes to the pure assembly.

Every function takes the adapters it reads and a ``timeout`` for the whole fan-out; a backend
that fails leaves its part as an error and the rest is still assembled.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from console.backends.elasticsearch import ElasticsearchLogs, LogLine
from console.backends.jaeger import Jaeger, Trace
from console.backends.prometheus import Prometheus
from console.correlate.fetch import Fetched, collect, gather, submit
from console.correlate.red import (Red, exemplar_query, folded, red_queries, red_rows, sparkline_query, unfolded,
                                  worst_first)
from console.correlate.report import Report, assemble, exemplar_refs
from console.correlate.traces import failing, slowest
from console.correlate.window import Window

SPARK_POINTS = 60  # a sparkline is a hundred pixels wide: more points would only add bytes
TRACE_SEARCH_LIMIT = 100  # Jaeger returns the newest traces first; slowest and failing are picked among these
TRACE_LOG_LIMIT = 200  # the lines of one trace on its page
# the report's lines of each trace it names: enough to follow a request, and every failed one's errors
FIRST_LINES_PER_TRACE = 10
ERROR_LINES_PER_TRACE = 10
# Jaeger's clock and the log shipper lag a little: look for a trace's lines this far around its spans
LOG_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class Overview:
    """Every service's RED over a window, worst first, or the error that stopped it; with sparklines when asked."""

    window: Window
    services: list[Red]
    error: str | None = None
    failure: Exception | None = None
    sparklines: dict[str, list[float | None]] = field(default_factory=dict)


def red_calls(prom: Prometheus, window: Window, *, prefix: str = "now", service: str | None = None,
              by: str = "service") -> dict:
    """The RED queries over ``window`` as named calls (``<prefix>:<metric>``), evaluated at its end."""
    return {f"{prefix}:{key}": (lambda q=q: prom.query(q, window.end))
            for key, q in red_queries(window.seconds, service=service, by=by).items()}


def report_red_queries(window: Window, service: str) -> dict[str, str]:
    """The report's RED of ``service``: ``now:<metric>`` over ``window`` and ``before:<metric>`` over the one
    before it, both evaluated at the window's end (the earlier one through an offset of the window's length)."""
    before_ms = round(window.length.total_seconds() * 1000)
    return {**{f"now:{k}": q for k, q in red_queries(window.seconds, service=service).items()},
            **{f"before:{k}": q for k, q in red_queries(window.seconds, service=service, offset_ms=before_ms).items()}}


def red_parts(got: Fetched, names: Iterable[str]) -> dict[str, Fetched]:
    """The outcome of a folded RED query as one outcome per part, the shape ``report.assemble`` reads; a failed
    query fails every part."""
    return {name: Fetched(value=got.value[name]) if got.ok else got for name in names}


def overview(prom: Prometheus, window: Window, *, timeout: float, sparklines: bool = False) -> Overview:
    """Every service's RED over ``window``, worst first; with ``sparklines``, each one's request rate over it."""
    calls = red_calls(prom, window)
    spark_step = max(2, window.seconds // SPARK_POINTS)
    if sparklines:
        calls["sparklines"] = lambda: prom.query_range(sparkline_query(step_s=spark_step), window.start,
                                                       window.end, spark_step)
    fetched = gather(calls, timeout=timeout)
    spark = fetched.pop("sparklines", None)
    rows, error = red_rows(fetched)
    lines = {}
    if spark is not None and spark.ok:
        lines = {s.labels.get("service", ""): on_steps(s.points, window, spark_step) for s in spark.value}
    return Overview(window, worst_first(rows), error, next((f.failure for f in fetched.values() if not f.ok), None),
                    lines)


def on_steps(points: list[tuple[float, float]], window: Window, step: int) -> list[float | None]:
    """A range query's points placed on the window's steps; a step with no sample stays None (a gap)."""
    start = window.start.timestamp()
    values: list[float | None] = [None] * (int(window.seconds // step) + 1)
    for t, v in points:
        # Prometheus keeps milliseconds: round to the nearest step rather than compare times exactly
        i = round((t - start) / step)
        if 0 <= i < len(values):
            values[i] = v
    return values


def what_happened(prom: Prometheus, jaeger: Jaeger, logs: ElasticsearchLogs, service: str, window: Window, *,
                  timeout: float, history: Callable[[], Fetched] | None = None) -> Report:
    """The "what happened" report: RED now and before, top errors, exemplars, traces, then their log lines;
    ``history`` reads the console's own rule changes and scale actions: it is called in this thread (the store
    belongs to the caller's app context) while the backend queries run.
    Takes up to ``2 * timeout``: the log lines are looked up once the traces are known."""
    started = time.monotonic()
    # The longest path is a chain: the trace search, then the lines of the traces it names. Its first link
    # is submitted before the other queries (which then take their turns at the GIL), and this thread, which
    # waits anyway, starts the second link the moment the ids are known.
    chain = submit({"traces": lambda: jaeger.find_traces(service, window.start, window.end, limit=TRACE_SEARCH_LIMIT),
                    "exemplars": lambda: prom.query_exemplars(exemplar_query(service), window.start, window.end)})
    # the RED figures of both windows in one request: fourteen requests cost more of this process' time (the
    # GIL the trace search's parsing needs) than Prometheus spends answering them
    red = report_red_queries(window, service)
    rest = submit({"errors": lambda: logs.top_errors(start=window.start, end=window.end, service=service),
                   "red": lambda: unfolded(prom.query(folded(red), window.end), red)})
    stored = history() if history else None
    got = collect(chain, timeout=timeout)
    lines = trace_logs(logs, service, window, got["exemplars"], got["traces"], timeout=timeout)
    fetched = collect(rest, timeout=2 * timeout, since=started)
    fetched.update(red_parts(fetched.pop("red"), red))
    return assemble(service, window, {**fetched, **got}, logs=lines, history=stored)


def trace_logs(logs: ElasticsearchLogs, service: str, window: Window, exemplars: Fetched, traces: Fetched, *,
               timeout: float) -> Fetched | None:
    """The log lines of the traces the report names (exemplars, slowest, failing), a share of each; None when it
    names none."""
    ids = [r.trace_id for r in exemplar_refs(exemplars.value or [])]
    if traces.ok:
        ids += [t.trace_id for t in (*slowest(traces.value), *failing(traces.value, service))]
    if not ids:
        return None
    return gather({"logs": lambda: logs.lines_of_traces(list(dict.fromkeys(ids)), start=window.start - LOG_SLACK,
                                                        end=window.end + LOG_SLACK, first=FIRST_LINES_PER_TRACE,
                                                        errors=ERROR_LINES_PER_TRACE)}, timeout=timeout)["logs"]


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

