"""Jaeger with Elasticsearch storage (``stack up --jaeger-storage elasticsearch``): a span sent
over OTLP is stored in the suite's real Elasticsearch and read back through the query API."""
from __future__ import annotations

import dataclasses
import time

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from deploy.local import process
from deploy.local import stack as local_stack
from deploy.local.layout import HOST, Layout
from deploy.local.parts import Options, by_name

pytestmark = pytest.mark.stack


def test_it_stores_traces_in_elasticsearch(stack, tmp_path):
    shared = stack
    own = local_stack.free_ports()
    # This Jaeger's own listeners, and the suite's Elasticsearch for storage.
    ports = dataclasses.replace(own, elasticsearch=shared.ports.elasticsearch)
    layout = Layout(tmp_path / "home")
    jaeger = by_name("jaeger")
    launch = jaeger.launch(layout, ports, Options(jaeger_storage="elasticsearch"))
    process.start(layout, "jaeger", launch.argv, env=launch.env, cwd=launch.cwd)
    provider = TracerProvider(resource=Resource.create({"service.name": "storage-check"}))
    try:
        deadline = time.monotonic() + 30
        while not jaeger.healthy(ports):
            assert time.monotonic() < deadline, "jaeger with elasticsearch storage did not get healthy"
            time.sleep(0.3)
        exporter = OTLPSpanExporter(endpoint=f"http://{HOST}:{ports.jaeger_otlp_http}/v1/traces")
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        with provider.get_tracer("test").start_as_current_span("stored-span") as span:
            trace_id = format(span.get_span_context().trace_id, "032x")
        provider.force_flush()

        found = None
        deadline = time.monotonic() + 30
        while found is None and time.monotonic() < deadline:
            answer = httpx.get(f"http://{HOST}:{ports.jaeger_query}/api/traces/{trace_id}", timeout=5)
            if answer.status_code == 200 and answer.json().get("data"):
                found = answer.json()["data"][0]
            else:
                time.sleep(0.5)
        assert found is not None, "the span never came back from Jaeger"
        assert [s["operationName"] for s in found["spans"]] == ["stored-span"]
        indices = httpx.get(f"{shared.elasticsearch_url}/_cat/indices/opsconsole-jaeger-span-*?format=json",
                            timeout=10).json()
        assert indices, "no Jaeger span index in Elasticsearch"
    finally:
        provider.shutdown()
        process.stop(layout, "jaeger")
