"""Pure views of traces: the critical path, the waterfall rows, and picking the slowest and failing traces."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from console.backends.elasticsearch import LogLine
from console.backends.jaeger import Span, Trace


def _end(span: Span) -> int:
    return span.start_us + span.duration_us


def _tree(spans: list[Span]) -> tuple[list[Span], dict[str, list[Span]]]:
    ids = {s.span_id for s in spans}
    roots, children = [], defaultdict(list)
    for span in spans:
        # a parent we never received (not sampled, not yet flushed) makes its child a root
        if span.parent_id in ids and span.parent_id != span.span_id:
            children[span.parent_id].append(span)
        else:
            roots.append(span)
    return roots, children


def critical_path(spans: list[Span]) -> list[str]:
    """Ids of the spans on the critical path, by start time: from the longest root back from its end, at each
    step the child that ended last."""
    roots, children = _tree(spans)
    if not roots:
        return []
    path: list[str] = []
    seen: set[str] = set()
    # (span, the time by which its work on the path must be done)
    todo = [(max(roots, key=lambda s: (s.duration_us, -s.start_us)), None)]
    while todo:
        span, cutoff = todo.pop()
        if span.span_id in seen:
            continue
        seen.add(span.span_id)
        path.append(span.span_id)
        cursor = _end(span) if cutoff is None else min(_end(span), cutoff)
        for child in sorted(children[span.span_id], key=_end, reverse=True):
            # a child that starts after the cursor ran in the shadow of a later one
            if child.start_us < cursor:
                todo.append((child, cursor))
                cursor = child.start_us
    starts = {s.span_id: s.start_us for s in spans}
    return sorted(path, key=lambda span_id: (starts[span_id], span_id))


@dataclass(frozen=True)
class Row:
    """One span as a waterfall bar: its depth in the tree and its place in the trace as percentages."""

    span: Span
    depth: int
    offset_pct: float
    width_pct: float
    critical: bool
    logs: tuple[LogLine, ...] = ()


def waterfall(trace: Trace, logs: Iterable[LogLine] = ()) -> list[Row]:
    """The trace's spans depth first (children by start time), each with its bar and its own log lines."""
    roots, children = _tree(trace.spans)
    start = min((s.start_us for s in trace.spans), default=0)
    total = max(trace.duration_us, 1)
    on_path = set(critical_path(trace.spans))
    by_span: dict[str, list[LogLine]] = defaultdict(list)
    for line in logs:
        if line.span_id:
            by_span[line.span_id].append(line)
    rows: list[Row] = []
    seen: set[str] = set()
    def by_start(group: list[Span]) -> list[Span]:
        # reversed, because the stack pops the last one first
        return sorted(group, key=lambda s: (s.start_us, s.span_id))[::-1]

    todo = [(root, 0) for root in by_start(roots)]
    while todo:
        span, depth = todo.pop()
        if span.span_id in seen:
            continue
        seen.add(span.span_id)
        rows.append(Row(span, depth, round(100 * (span.start_us - start) / total, 2),
                        round(max(100 * span.duration_us / total, 0.2), 2), span.span_id in on_path,
                        tuple(sorted(by_span.get(span.span_id, ()), key=lambda line: line.timestamp))))
        todo += [(child, depth + 1) for child in by_start(children[span.span_id])]
    return rows


@dataclass(frozen=True)
class TraceSummary:
    """A trace in a list: its root operation, when it started, how long it took, whether any span failed."""

    trace_id: str
    operation: str
    service: str
    start: datetime
    duration_ms: float
    span_count: int
    error: bool
    services: tuple[str, ...]


def summarize(trace: Trace) -> TraceSummary:
    """The one-line summary of ``trace``."""
    roots, _ = _tree(trace.spans)
    root = min(roots or trace.spans, key=lambda s: s.start_us)
    return TraceSummary(
        trace_id=trace.trace_id, operation=root.operation, service=root.service,
        start=datetime.fromtimestamp(root.start_us / 1e6, timezone.utc), duration_ms=trace.duration_us / 1000,
        span_count=len(trace.spans), error=any(s.error for s in trace.spans), services=tuple(trace.services))


def slowest(traces: Iterable[Trace], *, limit: int = 5) -> list[TraceSummary]:
    """The ``limit`` longest traces, longest first."""
    ranked = sorted((t for t in traces if t.spans), key=lambda t: (-t.duration_us, t.trace_id))
    return [summarize(t) for t in ranked[:limit]]


def failing(traces: Iterable[Trace], service: str, *, limit: int = 5) -> list[TraceSummary]:
    """The ``limit`` newest traces in which a span of ``service`` failed, newest first."""
    hits = [t for t in traces if any(s.service == service and s.error for s in t.spans)]
    hits.sort(key=lambda t: (-min(s.start_us for s in t.spans), t.trace_id))
    return [summarize(t) for t in hits[:limit]]


def search_results(traces: Iterable[Trace], *, failed_only: bool = False, limit: int) -> list[TraceSummary]:
    """A trace search's answer as a list, newest first: with ``failed_only``, only the traces where a span
    failed; at most ``limit``."""
    found = [summarize(t) for t in traces if t.spans]
    if failed_only:
        found = [t for t in found if t.error]
    found.sort(key=lambda t: (t.start, t.trace_id), reverse=True)
    return found[:limit]
