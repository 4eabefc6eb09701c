import io
import json

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from sample_services import catalog, gateway
from sample_services.telemetry import Telemetry

OPENMETRICS = "application/openmetrics-text; version=1.0.0"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def exemplars(text: str) -> list:
    return [s.exemplar for family in text_string_to_metric_families(text)
            if family.name == "http_request_duration_seconds" for s in family.samples if s.exemplar]


def test_it_serves_openmetrics_with_a_trace_id_exemplar(shop):
    client = catalog.create_app(shop.config("catalog")).test_client()
    client.get("/products")
    response = client.get("/metrics", headers={"Accept": OPENMETRICS})
    assert response.content_type.startswith("application/openmetrics-text")
    found = exemplars(response.text)
    assert found and len(found[0].labels["trace_id"]) == 32
    assert found[0].labels["trace_id"] in {format(s.context.trace_id, "032x") for s in shop.spans.get_finished_spans()}


def test_it_serves_the_classic_format_by_default(shop):
    client = catalog.create_app(shop.config("catalog")).test_client()
    client.get("/products")
    response = client.get("/metrics")
    assert response.content_type.startswith("text/plain")
    assert 'http_requests_total{method="GET",route="/products",service="catalog",status="200"} 1.0' in response.text


def test_it_serves_its_process_cpu_for_resource_scaling_policies(shop):
    text = catalog.create_app(shop.config("catalog")).test_client().get("/metrics").text
    assert "process_cpu_seconds_total " in text


def test_it_continues_the_callers_trace(shop):
    client = catalog.create_app(shop.config("catalog")).test_client()
    client.get("/products/2", headers={"traceparent": TRACEPARENT})
    (span,) = shop.spans.get_finished_spans()
    assert format(span.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert format(span.parent.span_id, "016x") == "b7ad6b7169203331"
    assert span.kind == SpanKind.SERVER
    assert span.resource.attributes["service.instance.id"] == "catalog-1"


def test_it_writes_ecs_json_lines_with_the_span_ids(shop):
    client = catalog.create_app(shop.config("catalog")).test_client()
    client.get("/products/3", headers={"traceparent": TRACEPARENT})
    (line,) = [json.loads(raw) for raw in shop.logs.getvalue().splitlines()]
    (span,) = shop.spans.get_finished_spans()
    assert line["@timestamp"].endswith("Z") and line["log.level"] == "info"
    assert line["trace"]["id"] == "0af7651916cd43dd8448eb211c80319c"
    assert line["span"]["id"] == format(span.context.span_id, "016x")
    assert line["service"] == {"name": "catalog", "node": {"name": "catalog-1"}}
    assert line["http"]["response"]["status_code"] == 200 and line["url"]["path"] == "/products/3"


def test_it_propagates_the_trace_to_downstream_calls(shop):
    catalog_url = shop.serve(catalog.create_app(shop.config("catalog")))
    client = gateway.create_app(shop.config("gateway", CATALOG_URL=catalog_url)).test_client()
    assert client.get("/api/products/1", headers={"traceparent": TRACEPARENT}).status_code == 200
    spans = shop.spans.get_finished_spans()
    assert {format(s.context.trace_id, "032x") for s in spans} == {"0af7651916cd43dd8448eb211c80319c"}
    by_kind = {(s.resource.attributes["service.name"], s.kind) for s in spans}
    assert by_kind == {("gateway", SpanKind.SERVER), ("gateway", SpanKind.CLIENT), ("catalog", SpanKind.SERVER)}
    # the client span names the URL as sent, the base and the path joined
    [call] = [s for s in spans if s.kind == SpanKind.CLIENT]
    assert call.attributes["url.full"] == f"{catalog_url.rstrip('/')}/products/1"


def test_it_records_an_unhandled_error_on_the_span_and_in_the_log(shop):
    app = catalog.create_app(shop.config("catalog"))

    @app.get("/boom")
    def boom():
        raise KeyError("missing")

    response = app.test_client().get("/boom")
    assert response.status_code == 500 and response.json["error"] == "internal error"
    (span,) = shop.spans.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR
    assert [e.name for e in span.events] == ["exception"]
    error_line = next(json.loads(raw) for raw in shop.logs.getvalue().splitlines() if "error" in json.loads(raw))
    assert error_line["error"]["type"] == "KeyError" and error_line["trace"]["id"]


def test_it_switches_spans_exemplars_and_enrichment_off(redis_url, monkeypatch):
    monkeypatch.setenv("OPSCONSOLE_TELEMETRY", "off")
    spans, logs = InMemorySpanExporter(), io.StringIO()
    app = catalog.create_app({"REDIS_URL": redis_url,
                              "TELEMETRY": Telemetry("catalog", span_exporter=spans, log_stream=logs)})
    client = app.test_client()
    client.get("/products", headers={"traceparent": TRACEPARENT})
    assert spans.get_finished_spans() == ()
    assert exemplars(client.get("/metrics", headers={"Accept": OPENMETRICS}).text) == []
    line = json.loads(logs.getvalue())
    assert "trace" not in line and line["service"]["name"] == "catalog"


def test_it_never_traces_or_counts_metrics_and_health(shop):
    client = catalog.create_app(shop.config("catalog")).test_client()
    assert client.get("/healthz").json["replica"] == "catalog-1"
    client.get("/metrics")
    assert shop.spans.get_finished_spans() == () and shop.logs.getvalue() == ""
