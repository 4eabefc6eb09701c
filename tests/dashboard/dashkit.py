"""Seeded data for the dashboard tests: one known trace sent to Jaeger over OTLP and its log lines in
Elasticsearch, so that the API's answers can be checked value by value."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from elasticsearch import Elasticsearch
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from collectors.logship.template import install_template
from console import auth, store
from kit import log_in

__all__ = ["Seeded", "bearer", "log_in", "seed", "send_trace", "wait_for_trace"]

MS = 1_000_000  # nanoseconds


@dataclass(frozen=True)
class Seeded:
    """What was sent: the trace id, span ids by name, the services, and the logs index pattern."""

    trace_id: str
    spans: dict[str, str]
    gateway: str
    catalog: str
    payments: str
    index: str
    start_ns: int


def _hex(value: int, width: int) -> str:
    return format(value, f"0{width}x")


def send_trace(otlp_url: str, start_ns: int) -> tuple[str, dict[str, str], tuple[str, str, str]]:
    """A checkout across three fresh services: catalog, then payments (which fails) while a cache lookup runs."""
    tag = uuid.uuid4().hex[:6]
    names = (f"seed-gateway-{tag}", f"seed-catalog-{tag}", f"seed-payments-{tag}")
    providers = [TracerProvider(resource=Resource.create({"service.name": n})) for n in names]
    for p in providers:
        p.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=otlp_url)))
    gw, cat, pay = (p.get_tracer("seed") for p in providers)
    ids = {}

    def span(tracer, name, parent, start_ms, end_ms, kind, error=None):
        ctx = trace.set_span_in_context(parent) if parent else None
        s = tracer.start_span(name, context=ctx, kind=kind, start_time=start_ns + start_ms * MS)
        if error:
            s.record_exception(RuntimeError(error), timestamp=start_ns + (end_ms - 1) * MS)
            s.set_status(Status(StatusCode.ERROR, error))
        s.end(end_time=start_ns + end_ms * MS)
        ids[name] = _hex(s.get_span_context().span_id, 16)
        return s

    root = gw.start_span("POST /api/checkout", kind=SpanKind.SERVER, start_time=start_ns)
    client = span(gw, "GET catalog", root, 5, 25, SpanKind.CLIENT)
    span(cat, "GET /products", client, 7, 22, SpanKind.SERVER)
    client = gw.start_span("POST payments", context=trace.set_span_in_context(root), kind=SpanKind.CLIENT,
                           start_time=start_ns + 30 * MS)
    span(pay, "POST /payments/authorize", client, 32, 88, SpanKind.SERVER, error="card declined by seed")
    client.set_status(Status(StatusCode.ERROR, "HTTP 500"))
    client.end(end_time=start_ns + 90 * MS)
    ids["POST payments"] = _hex(client.get_span_context().span_id, 16)
    span(gw, "GET cache", root, 40, 50, SpanKind.INTERNAL)
    root.end(end_time=start_ns + 100 * MS)
    ids["POST /api/checkout"] = _hex(root.get_span_context().span_id, 16)
    for p in providers:
        p.shutdown()
    return _hex(root.get_span_context().trace_id, 32), ids, names


def _iso(ns: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns / 1e9)) + f".{(ns // MS) % 1000:03d}Z"


def seed(otlp_url: str, es_url: str) -> Seeded:
    """Send the trace, then index its three log lines and two lines of another trace; refreshed, ready to read."""
    start_ns = time.time_ns() - 120 * 1_000_000_000
    trace_id, spans, (gateway, catalog, payments) = send_trace(otlp_url, start_ns)
    prefix = f"logs-seed{uuid.uuid4().hex[:8]}"
    index = f"{prefix}-{time.strftime('%Y.%m.%d', time.gmtime(start_ns / 1e9))}"
    other = uuid.uuid4().hex

    def line(at_ms, service, span_name, level, message, trace=trace_id, **extra):
        doc = {"@timestamp": _iso(start_ns + at_ms * MS), "log.level": level, "message": message,
               "service.name": service, "service.node.name": f"{service}-1", "trace.id": trace,
               "span.id": spans.get(span_name, "0" * 16), **extra}
        return [{"index": {"_index": index}}, doc]

    docs = [*line(20, catalog, "GET /products", "info", "GET /products 200"),
            *line(87, payments, "POST /payments/authorize", "error", "payment refused: card declined",
                  error={"type": "RuntimeError", "message": "card declined by seed"}),
            *line(99, gateway, "POST /api/checkout", "error", "POST /api/checkout 502"),
            *line(10, gateway, "", "info", "GET /health 200", trace=other),
            *line(11, catalog, "", "info", "cache warm", trace=other)]
    with Elasticsearch(es_url) as es:
        install_template(es, prefix)
        answer = es.bulk(operations=docs, refresh=True)
        assert not answer["errors"], answer
    return Seeded(trace_id, spans, gateway, catalog, payments, f"{prefix}-*", start_ns)


def wait_for_trace(jaeger_url: str, trace_id: str, spans: int, *, seconds: float = 15) -> None:
    """Block until Jaeger holds all ``spans`` of the trace (bounded)."""
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = httpx.get(f"{jaeger_url}/api/traces/{trace_id}", timeout=5)
        if answer.status_code == 200 and len(answer.json()["data"][0]["spans"]) == spans:
            return
        time.sleep(0.2)
    raise AssertionError(f"trace {trace_id} not complete in Jaeger after {seconds} s")


def bearer(app, role: str = "viewer") -> dict[str, str]:
    """The Authorization header of a fresh API token of ``role``."""
    with app.app_context():
        clear, _ = auth.create_token(store.session(), role=role, name=f"dashboard-{role}")
    return {"Authorization": f"Bearer {clear}"}


def record_changes(app, service: str) -> int:
    """Store a rule created by alice and a manual scale of ``service`` (1 → 2) by bob; returns the rule's id."""
    from console.rules import versions
    from console.rules.model import Rule
    from console.scaling.models import ScaleRecord

    with app.app_context():
        db = store.session()
        row = versions.create(db, Rule(group="shop", alert="PaymentsFailing", expr="vector(1) > 0"), actor="alice",
                              reason="page on payment errors")
        db.add_all([ScaleRecord(target=service, actor="bob", kind="manual", from_replicas=1, to_replicas=2,
                                reason="release 42", result="applied"),
                    ScaleRecord(target=f"{service}-other", actor="bob", kind="manual", from_replicas=3,
                                to_replicas=4, reason="another service", result="applied")])
        db.commit()
        return row.id


def record_incidents(app, service: str) -> list[int]:
    """Store incidents: of ``service`` one open now and one resolved an hour ago; one of another service.
    Returns the ids of the first two."""
    from datetime import timedelta

    from console.alerts.models import Incident
    from console.store import utcnow

    now = utcnow()
    made = [Incident(group_hash=uuid.uuid4().hex, group_key=f"{{}}:{{n={n}}}", status=status, severity=severity,
                     service=name, summary=summary, opened_at=now - opened, resolved_at=resolved and now - resolved)
            for n, (name, status, severity, summary, opened, resolved) in enumerate([
                (service, "open", "page", f"{service} fails a third of its requests", timedelta(minutes=5), None),
                (service, "resolved", "ticket", f"{service} was slow", timedelta(hours=2), timedelta(hours=1)),
                (f"{service}-other", "open", "page", "another service", timedelta(minutes=5), None)])]
    with app.app_context():
        db = store.session()
        db.add_all(made)
        db.commit()
        return [made[0].id, made[1].id]
