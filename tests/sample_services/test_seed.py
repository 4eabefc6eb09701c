import random

import pytest

from sample_services.seed import SERVICES, make_traces, otlp_request, span_lines
from sample_services.seed.documents import index_name, lines_per_span
from sample_services.seed.load import log_documents
from sample_services.seed.shapes import CLIENT, SERVER

HOUR = 3600 * 10**9
END = 1_796_000_000 * 10**9  # 2026-11-30, a fixed "now"


def traces(seed=7, spans=3000):
    return list(make_traces(random.Random(seed), spans=spans, start_ns=END - HOUR, end_ns=END))


def test_it_makes_the_same_traces_and_lines_from_the_same_seed():
    first, again, other = traces(), traces(), traces(seed=8)
    assert first == again
    assert first != other
    flat = [s for t in first for s in t]
    assert list(log_documents(random.Random(1), flat, 5000)) == list(log_documents(random.Random(1), flat, 5000))


def test_it_makes_whole_traces_of_five_to_seven_spans_up_to_the_count():
    made = traces()
    assert 2900 <= sum(len(t) for t in made) <= 3000
    assert {len(t) for t in made} == {5, 6, 7}
    assert {s.service for t in made for s in t} == set(SERVICES)
    assert all(END - HOUR <= t[0].start_ns < END for t in made)
    assert [t[0].start_ns for t in made] == sorted(t[0].start_ns for t in made)


def test_it_nests_each_span_inside_its_parent_in_one_trace():
    for trace in traces():
        root, *rest = trace
        assert root.parent_id is None and root.kind == SERVER and root.service == "gateway"
        by_id = {s.span_id: s for s in trace}
        assert len(by_id) == len(trace) and {s.trace_id for s in trace} == {root.trace_id}
        for span in rest:
            parent = by_id[span.parent_id]
            assert parent.start_ns <= span.start_ns < span.end_ns <= parent.end_ns
            if span.kind == SERVER:  # a server span answers its caller's client span, from another service
                assert parent.kind == CLIENT and parent.service != span.service


def test_it_fails_some_checkouts_in_payments_and_the_callers_answer_502():
    made = traces(spans=10000)
    failing = [t for t in made if any(s.failed for s in t)]
    assert 0.01 < len(failing) / len(made) < 0.08
    for trace in failing:
        (cause,) = [s for s in trace if s.error]
        assert (cause.service, cause.status, cause.name) == ("payments", 500, "POST /payments/authorize")
        assert [s.status for s in trace if s.kind == SERVER and s.service in ("gateway", "orders")] == [502, 502]


def test_it_spreads_lines_over_the_spans_to_the_exact_count():
    assert list(lines_per_span(10, 4)) == [3, 3, 2, 2]
    flat = [s for t in traces() for s in t]
    docs = list(log_documents(random.Random(1), flat, 10 * len(flat) + 3))
    assert len(docs) == 10 * len(flat) + 3
    spans = {s.span_id: s for s in flat}
    for doc in docs:
        span = spans[doc["span.id"]]
        assert doc["trace.id"] == span.trace_id and doc["service.name"] == span.service
        assert doc["service.node.name"].startswith(f"{span.service}-")
        assert index_name(doc["@timestamp"]) == f"logs-opsconsole-{doc['@timestamp'][:10].replace('-', '.')}"


def test_it_ends_a_failed_server_span_with_its_error_and_access_lines():
    cause = next(s for t in traces() for s in t if s.error)
    lines = span_lines(random.Random(1), cause, 6)
    assert len(lines) == 6
    error, access = lines[-2:]
    assert (error["log.level"], error["error.type"], error["error.message"]) == ("error", *cause.error)
    assert (access["message"], access["http.response.status_code"]) == ("POST /payments/authorize 500", 500)
    assert [line["@timestamp"] for line in lines] == sorted(line["@timestamp"] for line in lines)
    assert span_lines(random.Random(1), cause, 1)[0]["message"] == "POST /payments/authorize 500"


@pytest.mark.parametrize("kind, expected", [(SERVER, {"http.request.method", "http.route", "url.path"}),
                                            (CLIENT, {"http.request.method", "peer.service"})])
def test_it_writes_otlp_json_with_one_resource_per_replica(kind, expected):
    trace = next(t for t in traces() if any(s.failed for s in t))
    request = otlp_request(trace)
    resources = {tuple(a["value"]["stringValue"] for a in r["resource"]["attributes"]): r["scopeSpans"][0]["spans"]
                 for r in request["resourceSpans"]}
    assert sum(len(spans) for spans in resources.values()) == len(trace)
    assert {(s.service, s.node) for s in trace} == set(resources)
    sent = {s["spanId"]: s for spans in resources.values() for s in spans}
    for span in trace:
        out = sent[span.span_id]
        assert out["parentSpanId" if span.parent_id else "traceId"] == (span.parent_id or span.trace_id)
        assert (out.get("status", {}).get("code") == 2) == span.failed
        if span.kind == kind:
            assert expected <= {a["key"] for a in out["attributes"]}
