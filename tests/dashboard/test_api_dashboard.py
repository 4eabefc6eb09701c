"""The dashboard API on seeded data: a known trace in Jaeger and its log lines in Elasticsearch, exact values."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dashkit import bearer, record_changes, record_incidents

pytestmark = pytest.mark.stack


@pytest.fixture
def api(make_app, seeded):
    """A GET on the API as a viewer, against an app reading the seeded index."""
    app = make_app(LOGS_INDEX=seeded.index)
    client, headers = app.test_client(), bearer(app)
    return lambda url: client.get(url, headers=headers)


def test_it_gives_a_trace_with_its_spans_critical_path_and_log_lines(api, seeded):
    answer = api(f"/api/v1/traces/{seeded.trace_id.upper()}")
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["trace_id"], body["found"], body["duration_us"], body["errors"]) == (seeded.trace_id, True, 100_000, {})
    assert body["services"] == [seeded.gateway, seeded.catalog, seeded.payments]
    spans = {s["operation"]: s for s in body["spans"]}
    assert [s["operation"] for s in body["spans"]] == ["POST /api/checkout", "GET catalog", "GET /products",
                                                      "POST payments", "POST /payments/authorize", "GET cache"]
    assert {op for op, s in spans.items() if s["error"]} == {"POST payments", "POST /payments/authorize"}
    # the cache lookup ran while payments was busy: it is the one span off the critical path
    assert {op for op, s in spans.items() if not s["critical"]} == {"GET cache"}
    assert (spans["POST /payments/authorize"]["start_us"] - spans["POST /api/checkout"]["start_us"],
            spans["POST /payments/authorize"]["duration_us"]) == (32_000, 56_000)
    assert spans["POST /payments/authorize"]["events"][0]["exception.message"] == "card declined by seed"
    assert [(line["service"], line["message"], line["span_id"]) for line in body["logs"]] == [
        (seeded.catalog, "GET /products 200", seeded.spans["GET /products"]),
        (seeded.payments, "payment refused: card declined", seeded.spans["POST /payments/authorize"]),
        (seeded.gateway, "POST /api/checkout 502", seeded.spans["POST /api/checkout"])]


@pytest.mark.parametrize("query, found", [
    ("service={gateway}", 1),
    ("service={payments}&operation=POST /payments/authorize", 1),
    ("service={payments}&operation=GET /products", 0),
    ("service={catalog}&min_duration_ms=10", 1),
    ("service={catalog}&min_duration_ms=50", 0),
    ("service={catalog}&failed=true", 1),
    ("service=seed-nobody", 0),
], ids=["by service", "by span name", "span name of another service", "long enough", "too short",
        "failed", "unknown service"])
def test_it_searches_traces(api, seeded, query, found):
    url = "/api/v1/traces?range=15m&" + query.format(gateway=seeded.gateway, catalog=seeded.catalog,
                                                     payments=seeded.payments)
    answer = api(url)
    assert answer.status_code == 200, answer.json
    assert [t["trace_id"] for t in answer.json["items"]] == [seeded.trace_id] * found
    if found:
        (item,) = answer.json["items"]
        assert (item["service"], item["operation"], item["duration_ms"], item["span_count"], item["error"]) == (
            seeded.gateway, "POST /api/checkout", 100.0, 6, True)
        assert item["services"] == [seeded.gateway, seeded.catalog, seeded.payments]
        assert item["start"].startswith(datetime.fromtimestamp(seeded.start_ns / 1e9, timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%S"))


@pytest.mark.parametrize("query", ["", "service=a b", "service=x&limit=0", "service=x&min_duration_ms=-1",
                                   "service=x&failed=maybe", "service=x&color=red"],
                         ids=["no service", "bad service", "limit 0", "negative duration", "not a boolean",
                              "unknown argument"])
def test_it_refuses_a_bad_trace_search(api, query):
    answer = api(f"/api/v1/traces?{query}")
    assert answer.status_code == 422 and answer.json["error"] == "validation_failed"


def test_it_answers_503_to_a_trace_search_when_jaeger_is_down(make_app, closed_url):
    app = make_app(JAEGER_URL=closed_url)
    answer = app.test_client().get("/api/v1/traces?service=payments", headers=bearer(app))
    assert answer.status_code == 503 and answer.json["error"] == "backend_unavailable"


def test_it_answers_an_unknown_trace_with_nothing_found(api):
    body = api("/api/v1/traces/0123456789abcdef0123456789abcdef").json
    assert (body["found"], body["spans"], body["logs"]) == (False, [], [])


@pytest.mark.parametrize("bad", ["not-hex", "1" * 33], ids=["not hex", "too long"])
def test_it_refuses_what_is_not_a_trace_id(api, bad):
    answer = api(f"/api/v1/traces/{bad}")
    assert answer.status_code == 400 and answer.json["error"] == "bad_request"


@pytest.mark.parametrize("query, messages", [
    ("", ["POST /api/checkout 502", "payment refused: card declined", "GET /products 200", "cache warm",
          "GET /health 200"]),
    ("trace_id={trace}", ["POST /api/checkout 502", "payment refused: card declined", "GET /products 200"]),
    ("trace_id={trace}&level=error", ["POST /api/checkout 502", "payment refused: card declined"]),
    ("service={payments}", ["payment refused: card declined"]),
    ("q=card declined", ["payment refused: card declined"]),
    ("q=card -refused", []),
    ('q="cache warm" | products', ["GET /products 200", "cache warm"]),
    ("q={{\"query\": {{\"match_all\": {{}}}}}}", []),
    ("limit=2", ["POST /api/checkout 502", "payment refused: card declined"]),
], ids=["everything", "by trace", "by trace and level", "by service", "text, every term", "text with a minus",
        "text: phrase or word", "DSL is only text", "limit"])
def test_it_filters_log_lines(api, seeded, query, messages):
    url = "/api/v1/logs?range=1h&" + query.format(trace=seeded.trace_id, payments=seeded.payments)
    body = api(url).json
    assert [line["message"] for line in body["items"]] == messages
    if query != "limit=2":
        assert sum(b["count"] for b in body["histogram"]) == len(messages)
    # over an hour, 30 s bars that start on the half minute
    assert body["interval_s"] == 30
    assert {datetime.fromisoformat(b["start"]).second for b in body["histogram"]} <= {0, 30}


def test_it_reports_what_happened_to_a_service(api, seeded):
    answer = api(f"/api/v1/correlate?service={seeded.payments}&range=15m")
    assert answer.status_code == 200, answer.json
    sections = {s["key"]: s for s in answer.json["sections"]}
    assert [s["key"] for s in answer.json["sections"]] == ["red", "errors", "exemplars", "slowest", "failing", "logs",
                                                           "incidents", "rule_changes", "scale_actions"]
    assert all(s["error"] is None for s in sections.values())
    assert sections["red"]["note"] == f"No requests of {seeded.payments} in either window."
    [top] = sections["errors"]["items"]
    assert (top["message"], top["count"], top["sample"]["trace_id"]) == ("card declined by seed", 1, seeded.trace_id)
    assert [(t["trace_id"], t["duration_ms"], t["error"]) for t in sections["slowest"]["items"]] == [
        (seeded.trace_id, 100.0, True)]
    assert [t["trace_id"] for t in sections["failing"]["items"]] == [seeded.trace_id]
    assert len(sections["logs"]["items"]) == 3
    assert sections["rule_changes"]["items"] == [] and sections["rule_changes"]["note"]
    assert sections["scale_actions"]["items"] == [] and sections["scale_actions"]["note"]
    assert sections["incidents"]["note"] == f"No incident of {seeded.payments} was open in this window."


def test_it_reports_the_rule_changes_and_scale_actions_of_the_window(make_app, seeded):
    app = make_app(LOGS_INDEX=seeded.index)
    rule_id = record_changes(app, seeded.payments)
    body = app.test_client().get(f"/api/v1/correlate?service={seeded.payments}&range=15m", headers=bearer(app)).json
    sections = {s["key"]: s for s in body["sections"]}
    assert [(c["rule_id"], c["alert"], c["version"], c["change"], c["actor"], c["reason"])
            for c in sections["rule_changes"]["items"]] == [(rule_id, "PaymentsFailing", 1, "created", "alice",
                                                             "page on payment errors")]
    assert [(a["target"], a["from_replicas"], a["to_replicas"], a["actor"], a["result"])
            for a in sections["scale_actions"]["items"]] == [(seeded.payments, 1, 2, "bob", "applied")]


def test_it_reports_the_services_incidents_open_in_the_window(make_app, seeded):
    app = make_app(LOGS_INDEX=seeded.index)
    open_now, resolved_before = record_incidents(app, seeded.payments)
    answer = app.test_client().get(f"/api/v1/correlate?service={seeded.payments}&range=15m", headers=bearer(app))
    items = {s["key"]: s for s in answer.json["sections"]}["incidents"]["items"]
    assert [(i["incident_id"], i["status"], i["severity"], i["resolved_at"]) for i in items] == [
        (open_now, "open", "page", None)]
    # over six hours the one resolved an hour ago was open too: newest first
    answer = app.test_client().get(f"/api/v1/correlate?service={seeded.payments}&range=6h", headers=bearer(app))
    items = {s["key"]: s for s in answer.json["sections"]}["incidents"]["items"]
    assert [i["incident_id"] for i in items] == [open_now, resolved_before]


def test_it_reports_around_a_trace_for_its_root_service(api, seeded):
    body = api(f"/api/v1/correlate?trace_id={seeded.trace_id}").json
    assert body["service"] == seeded.gateway
    assert [t["trace_id"] for t in body["sections"][4]["items"]] == [seeded.trace_id]


@pytest.mark.parametrize("query", ["", "service=a&trace_id=ab", "service=a%20b", "service=a&range=2h",
                                   "trace_id=ab&range=1h"],
                         ids=["neither", "both", "bad name", "bad range", "trace with range"])
def test_it_refuses_a_correlation_without_one_clear_subject(api, query):
    assert api(f"/api/v1/correlate?{query}").status_code in (400, 422)


def test_it_keeps_the_log_lines_of_a_trace_when_jaeger_is_down(make_app, seeded, closed_url):
    app = make_app(LOGS_INDEX=seeded.index, JAEGER_URL=closed_url)
    body = app.test_client().get(f"/api/v1/traces/{seeded.trace_id}", headers=bearer(app)).json
    assert body["found"] is False and len(body["logs"]) == 3 and "jaeger" in body["errors"]


def test_it_answers_503_when_every_backend_of_a_view_is_down(make_app, closed_url):
    app = make_app(JAEGER_URL=closed_url, ELASTICSEARCH_URL=closed_url, PROMETHEUS_URL=closed_url)
    client, headers = app.test_client(), bearer(app)
    for url in ("/api/v1/traces/0123456789abcdef0123456789abcdef", "/api/v1/logs", "/api/v1/services"):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 503 and answer.json["error"] == "backend_unavailable", url


def test_it_keeps_the_other_sections_of_a_report_when_elasticsearch_is_down(make_app, seeded, closed_url):
    app = make_app(ELASTICSEARCH_URL=closed_url)
    body = app.test_client().get(f"/api/v1/correlate?service={seeded.payments}", headers=bearer(app)).json
    sections = {s["key"]: s for s in body["sections"]}
    assert sections["errors"]["error"] and sections["logs"]["error"]
    assert [t["trace_id"] for t in sections["failing"]["items"]] == [seeded.trace_id]
