"""Pure trace views: the critical path, the waterfall, the slowest and the failing traces, a search's list."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from console.backends.elasticsearch import LogLine
from console.backends.jaeger import Span, Trace, parse_traces
from console.correlate.traces import critical_path, failing, search_results, slowest, waterfall


def span(span_id, parent, start, duration, *, service="svc", error=False):
    tags = {"otel.status_code": "ERROR", "error": True} if error else {}
    return Span(span_id, parent, service, f"op {span_id}", start, duration, tags, [])


# root 0..100; a and b run in parallel (b ends last), c runs after both; a has a child a1
PARALLEL = [span("root", None, 0, 100), span("a", "root", 5, 40), span("a1", "a", 10, 20),
            span("b", "root", 5, 60), span("c", "root", 70, 25)]


@pytest.mark.parametrize("spans, path", [
    (PARALLEL, ["root", "b", "c"]),
    ([span("root", None, 0, 100), span("x", "root", 10, 30), span("y", "root", 50, 30)], ["root", "x", "y"]),
    ([span("root", None, 0, 50), span("late", "root", 40, 100)], ["root", "late"]),
    ([span("orphan", "gone", 0, 10), span("root", None, 0, 90)], ["root"]),
    ([], []),
], ids=["parallel: the child that ends last", "sequential: every child", "child outlives parent",
        "longest root wins", "no spans"])
def test_it_finds_the_critical_path(spans, path):
    assert critical_path(spans) == path


def test_it_survives_a_span_that_is_its_own_parent():
    assert critical_path([span("loop", "loop", 0, 10)]) == ["loop"]


def test_it_lays_out_the_waterfall_depth_first_with_bars_and_each_spans_logs():
    line = LogLine("1", datetime(2026, 1, 1, tzinfo=timezone.utc), "error", "boom", "svc", "svc-1", "t", "a1", {})
    rows = waterfall(Trace("t", sorted(PARALLEL, key=lambda s: s.start_us)), [line])
    assert [(r.span.span_id, r.depth) for r in rows] == [("root", 0), ("a", 1), ("a1", 2), ("b", 1), ("c", 1)]
    assert [(r.offset_pct, r.width_pct) for r in rows] == [(0, 100), (5, 40), (10, 20), (5, 60), (70, 25)]
    assert [r.critical for r in rows] == [True, False, False, True, True]
    assert [len(r.logs) for r in rows] == [0, 0, 1, 0, 0]


def test_it_picks_slowest_and_failing_traces_from_a_captured_search(fixture_json):
    traces = parse_traces(fixture_json("jaeger/search_payments.json"))
    assert len(traces) == 6
    top = slowest(traces, limit=2)
    assert [(t.trace_id, t.duration_ms) for t in top] == [
        ("8705ba8e4406efb28d4a3e0f46b205dd", 36.74), ("96ef2478af3c58703dffe77146b89c3d", 31.614)]
    assert top[0].operation == "POST /api/checkout" and top[0].service == "gateway" and top[0].span_count == 20
    assert top[0].services == ("gateway", "catalog", "orders", "inventory", "payments")
    assert [t.trace_id for t in failing(traces, "payments")] == ["8705ba8e4406efb28d4a3e0f46b205dd"]
    assert failing(traces, "catalog") == []


def test_it_orders_failing_traces_newest_first():
    old = Trace("old", [span("r", None, 0, 10, error=True)])
    new = Trace("new", [span("r", None, 50, 10, error=True)])
    fine = Trace("fine", [span("r", None, 90, 10)])
    assert [t.trace_id for t in failing([old, fine, new], "svc")] == ["new", "old"]


@pytest.mark.parametrize("failed_only, limit, listed", [
    (False, 10, ["new", "fine", "old"]),
    (False, 2, ["new", "fine"]),
    (True, 10, ["new", "old"]),
    (True, 1, ["new"]),
], ids=["newest first", "at most limit", "failed only", "failed only, at most limit"])
def test_it_lists_a_search_newest_first(failed_only, limit, listed):
    traces = [Trace("old", [span("r", None, 0, 10, error=True)]), Trace("fine", [span("r", None, 50, 10)]),
              Trace("empty", []), Trace("new", [span("r", None, 90, 10), span("x", "r", 91, 2, error=True)])]
    assert [t.trace_id for t in search_results(traces, failed_only=failed_only, limit=limit)] == listed
