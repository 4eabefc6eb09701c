"""The console traces itself like the shop: a server span per request, W3C context in and out.

Spans go over OTLP/HTTP to ``OTLP_ENDPOINT`` (``opsconsole serve`` sets it to the local
stack's Jaeger); without an endpoint nothing is recorded and no span is even created.
Each app owns its provider, so tests building many apps never share a global one.
"""
from __future__ import annotations

import os

from flask import Flask, Response, current_app, g, has_app_context, request
from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

SERVICE_NAME = "opsconsole"
EXTENSION = "opsconsole.tracer"


def init_app(app: Flask) -> None:
    """Trace every request of ``app`` when ``OTLP_ENDPOINT`` is set."""
    endpoint = app.config.get("OTLP_ENDPOINT")
    if not endpoint:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    resource = Resource.create({"service.name": SERVICE_NAME, "service.instance.id": f"console-{os.getpid()}"})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces", timeout=5)))
    app.extensions[EXTENSION] = provider
    app.before_request(_start_span)
    app.after_request(_mark_status)
    app.teardown_request(_end_span)


def tracer() -> trace.Tracer | None:
    """The current app's tracer, or None when it does not trace (no app, no endpoint)."""
    if not has_app_context():
        return None
    provider = current_app.extensions.get(EXTENSION)
    return provider.get_tracer("opsconsole.console") if provider else None


def current_ids() -> tuple[str, str] | None:
    """(trace id, span id) in hex of the active span, or None outside one."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return format(span_context.trace_id, "032x"), format(span_context.span_id, "016x")


def shutdown(app: Flask) -> None:
    """Flush and stop the app's span exporter (at worker exit)."""
    provider = app.extensions.pop(EXTENSION, None)
    if provider is not None:
        provider.shutdown()


def _start_span() -> None:
    if request.path in ("/metrics", "/healthz", "/readyz") or request.path.startswith("/static/"):
        return
    route = request.url_rule.rule if request.url_rule else "unmatched"
    span = tracer().start_span(
        f"{request.method} {route}", context=propagate.extract(request.headers), kind=SpanKind.SERVER,
        attributes={"http.request.method": request.method, "url.path": request.path, "http.route": route},
    )
    g.trace_span = span
    g.trace_token = context.attach(trace.set_span_in_context(span))


def _mark_status(response: Response) -> Response:
    span = g.get("trace_span")
    if span is not None:
        span.set_attribute("http.response.status_code", response.status_code)
        if response.status_code >= 500:
            span.set_status(Status(StatusCode.ERROR, f"HTTP {response.status_code}"))
    return response


def _end_span(error: BaseException | None) -> None:
    span = g.pop("trace_span", None)
    if span is None:
        return
    if error is not None:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
    span.end()
    context.detach(g.pop("trace_token"))
