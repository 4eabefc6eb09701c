import time

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from console.backends.jaeger import Jaeger, normalize_trace_id, parse_services, parse_trace
from console.errors import BackendError, ConfigError, UsageProblem

TRACE = "e12ad6d5d36d8442a2cf7b4797cfb34b"


def test_it_parses_a_trace(fixture_json):
    trace = parse_trace(fixture_json("jaeger/trace.json"))
    assert trace.trace_id == TRACE
    assert trace.services == ["gateway", "catalog"]
    root, client, server = trace.spans
    assert (root.operation, root.parent_id, root.kind) == ("GET /products", None, "server")
    assert client.parent_id == root.span_id and client.kind == "client"
    assert server.parent_id == client.span_id and server.service == "catalog"
    assert server.error and not root.error
    assert server.events[0]["exception.type"] == "ValueError"
    assert root.tags["http.response.status_code"] == 500
    assert trace.duration_us == root.duration_us


def test_it_parses_services(fixture_json):
    assert parse_services(fixture_json("jaeger/services.json")) == ["catalog", "gateway"]


def test_it_refuses_an_answer_without_a_trace():
    with pytest.raises(BackendError, match="no trace"):
        parse_trace({"data": [], "errors": None})


@pytest.mark.parametrize(("given", "expected"), [
    (TRACE.upper(), TRACE),
    ("  abc ", "0" * 29 + "abc"),
], ids=["upper case", "short and padded"])
def test_it_normalizes_trace_ids(given, expected):
    assert normalize_trace_id(given) == expected


@pytest.mark.parametrize("bad", ["", "xyz", "1" * 33, "../api/services"])
def test_it_refuses_what_is_not_a_trace_id(bad):
    with pytest.raises(UsageProblem, match="not a trace id"):
        normalize_trace_id(bad)


@pytest.fixture
def jaeger_backend(jaeger_url):
    backend = Jaeger(jaeger_url, timeout=2)
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def sent_trace(jaeger_otlp_traces_url) -> str:
    """Send a two-service trace to Jaeger over OTLP and return its id."""
    providers = []
    for service in ("test-gateway", "test-catalog"):
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=jaeger_otlp_traces_url)))
        providers.append(provider)
    gateway, catalog = (p.get_tracer("tests") for p in providers)
    with gateway.start_as_current_span("GET /products", kind=SpanKind.SERVER) as root:
        with catalog.start_as_current_span("GET /items", kind=SpanKind.SERVER) as child:
            child.set_status(Status(StatusCode.ERROR, "boom"))
    for provider in providers:
        provider.shutdown()
    return format(root.get_span_context().trace_id, "032x")


def _wait_for_trace(backend: Jaeger, trace_id: str, seconds: float = 10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        trace = backend.trace(trace_id)
        if trace and len(trace.spans) == 2:
            return trace
        time.sleep(0.2)
    raise AssertionError(f"trace {trace_id} not in jaeger after {seconds}s")


def test_it_reads_a_trace_from_jaeger(jaeger_backend, sent_trace):
    trace = _wait_for_trace(jaeger_backend, sent_trace)
    assert trace.trace_id == sent_trace
    assert trace.services == ["test-gateway", "test-catalog"]
    assert trace.spans[1].error
    assert {"test-gateway", "test-catalog"} <= set(jaeger_backend.services())


def test_it_answers_none_for_an_unknown_trace(jaeger_backend):
    assert jaeger_backend.trace("1" * 32) is None


def test_it_reports_health(jaeger_backend):
    health = jaeger_backend.health()
    assert health.healthy and health.detail.endswith("services")


def test_it_reports_a_closed_port_as_down(closed_port):
    backend = Jaeger(f"http://127.0.0.1:{closed_port}", timeout=2)
    health = backend.health()
    backend.close()
    assert not health.healthy and f"127.0.0.1:{closed_port}/api/services" in health.detail


def test_it_refuses_a_url_that_is_not_http():
    with pytest.raises(ConfigError, match="JAEGER_URL"):
        Jaeger("grpc://127.0.0.1:16685", timeout=2)
