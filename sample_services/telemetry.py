"""One telemetry setup shared by every shop service: RED metrics with exemplars, spans, ECS logs.

``Telemetry(service).instrument(app)`` wraps each request in a server span (parent taken from
the W3C ``traceparent``), counts and times it, writes one ECS access line, and serves
``/metrics`` (OpenMetrics when asked, so exemplars reach Prometheus) and ``/healthz``.
``OPSCONSOLE_TELEMETRY=off`` turns spans, exemplars and log enrichment off for benchmarks.
"""
from __future__ import annotations

import atexit
import logging
import os
import sys
import time
from typing import Any

import ecs_logging
import httpx
from flask import Flask, Response, g, jsonify, request
from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.exposition import choose_encoder
from werkzeug.exceptions import HTTPException

UNTRACED_PATHS = frozenset({"/metrics", "/healthz"})
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def telemetry_enabled() -> bool:
    """Whether spans, exemplars and log enrichment are on (``OPSCONSOLE_TELEMETRY`` is not ``off``)."""
    return os.environ.get("OPSCONSOLE_TELEMETRY", "on").lower() != "off"


def current_ids() -> tuple[str, str] | None:
    """The (trace id, span id) of the current span as hex, or None outside a recorded span."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


class _EnrichFilter(logging.Filter):
    """Stamp every record with the service, the replica and, when tracing, the current ids."""

    def __init__(self, service: str, replica: str, enrich: bool):
        super().__init__()
        self.fields = {"service.name": service, "service.node.name": replica}
        self.enrich = enrich

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in self.fields.items():
            setattr(record, key, value)
        ids = current_ids() if self.enrich else None
        if ids:
            setattr(record, "trace.id", ids[0])
            setattr(record, "span.id", ids[1])
        return True


class Telemetry:
    """Metrics registry, tracer and ECS logger of one replica."""

    def __init__(self, service: str, *, replica: str | None = None, enabled: bool | None = None,
                 span_exporter: SpanExporter | None = None, log_stream: Any = None):
        self.service = service
        self.replica = replica or os.environ.get("OPSCONSOLE_REPLICA") or f"{service}-1"
        self.enabled = telemetry_enabled() if enabled is None else enabled
        # A registry per app, so several apps can live in one test process.
        self.registry = CollectorRegistry()
        # process_cpu_seconds_total and friends: what a Resource (cpu) scaling policy reads, as a kubelet's
        # cAdvisor would give it in Kubernetes
        ProcessCollector(registry=self.registry)
        self.requests = Counter("http_requests_total", "HTTP requests served.",
                                ["service", "route", "method", "status"], registry=self.registry)
        self.duration = Histogram("http_request_duration_seconds", "HTTP request latency.",
                                  ["service", "route", "method"], buckets=BUCKETS, registry=self.registry)
        self.provider = self._provider(span_exporter) if self.enabled else None
        self.tracer = self.provider.get_tracer("opsconsole.shop") if self.provider else trace.NoOpTracer()
        self.logger = self._logger(log_stream)

    def _provider(self, exporter: SpanExporter | None) -> TracerProvider:
        resource = Resource.create({"service.name": self.service, "service.instance.id": self.replica})
        provider = TracerProvider(resource=resource)
        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            # The endpoint comes from OTEL_EXPORTER_OTLP_ENDPOINT (…/v1/traces is appended).
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(timeout=5)))
            atexit.register(provider.shutdown)
        else:
            provider.add_span_processor(SimpleSpanProcessor(exporter))
        return provider

    def _logger(self, stream: Any) -> logging.Logger:
        # A logger outside the global registry: one per Telemetry, no handlers piling up in tests.
        logger = logging.Logger(f"opsconsole.shop.{self.service}")
        logger.setLevel(logging.INFO)
        logger.propagate = False
        path = os.environ.get("OPSCONSOLE_LOG_FILE")
        if stream is not None or not path:
            handler: logging.Handler = logging.StreamHandler(stream or sys.stderr)
        else:
            handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(ecs_logging.StdlibFormatter(exclude_fields=["process", "log.origin", "log.original"]))
        handler.addFilter(_EnrichFilter(self.service, self.replica, self.enabled))
        logger.addHandler(handler)
        return logger

    def instrument(self, app: Flask) -> Flask:
        """Add spans, RED metrics and access logs to ``app``, and its ``/metrics`` and ``/healthz``."""
        app.before_request(self._before)
        app.after_request(self._after)
        app.teardown_request(self._teardown)
        app.register_error_handler(Exception, self._on_exception)
        app.add_url_rule("/metrics", "metrics", self._metrics)
        app.add_url_rule("/healthz", "healthz", lambda: {"status": "ok", "replica": self.replica})
        app.extensions["telemetry"] = self
        return app

    def _before(self) -> None:
        g.telemetry_start = time.perf_counter()
        if request.path in UNTRACED_PATHS:
            return
        route = request.url_rule.rule if request.url_rule else "unmatched"
        g.route = route
        parent = propagate.extract(request.headers)  # case-insensitive, unlike a dict copy
        span = self.tracer.start_span(f"{request.method} {route}", context=parent, kind=SpanKind.SERVER,
                                      attributes={"http.request.method": request.method,
                                                  "url.path": request.path, "http.route": route})
        g.span = span
        g.context_token = context.attach(trace.set_span_in_context(span))

    def _after(self, response: Response) -> Response:
        route = g.get("route")
        if route is None:
            return response
        elapsed = time.perf_counter() - g.telemetry_start
        status = response.status_code
        self.requests.labels(self.service, route, request.method, str(status)).inc()
        # The error series exists at 0 from a route's first request on, so a rate over it has a
        # baseline the moment errors start (a counter born at 5 would hide its first increase).
        self.requests.labels(self.service, route, request.method, "500")
        ids = current_ids() if self.enabled else None
        exemplar = {"trace_id": ids[0]} if ids else None
        self.duration.labels(self.service, route, request.method).observe(elapsed, exemplar=exemplar)
        span = g.span
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.set_status(Status(StatusCode.ERROR, f"HTTP {status}"))
        self.logger.log(logging.ERROR if status >= 500 else logging.INFO,
                        f"{request.method} {request.path} {status}",
                        extra={"http.request.method": request.method, "http.response.status_code": status,
                               "url.path": request.path, "event.dataset": f"{self.service}.access",
                               "event.kind": "event", "event.category": "web",
                               "event.outcome": "failure" if status >= 500 else "success",
                               "event.duration": int(elapsed * 1e9)})
        return response

    def _teardown(self, exc: BaseException | None) -> None:
        span = g.pop("span", None)
        if span is None:
            return
        span.end()
        context.detach(g.pop("context_token"))

    def _on_exception(self, exc: Exception):
        if isinstance(exc, HTTPException):
            return exc
        self.record_error(exc, f"unhandled {type(exc).__name__}")
        return jsonify(error="internal error", detail=type(exc).__name__), 500

    def record_error(self, exc: BaseException, message: str) -> None:
        """Mark the current span failed with an exception event and log an ECS error line with ``error.*``."""
        span = trace.get_current_span()
        span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, str(exc) or type(exc).__name__))
        self.logger.error(message, exc_info=exc, extra={"event.dataset": f"{self.service}.error",
                                                        "event.outcome": "failure", "url.path": request.path})

    def _metrics(self) -> Response:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        return Response(encoder(self.registry), content_type=content_type)

    def client(self, peer: str, base_url: str, *, timeout: float = 2.0) -> TracedClient:
        """An HTTP client for one downstream service whose calls are client spans carrying ``traceparent``."""
        return TracedClient(self, peer, base_url, timeout=timeout)

    def shutdown(self) -> None:
        """Flush and stop span export."""
        if self.provider:
            self.provider.shutdown()


class TracedClient:
    """httpx client whose requests are CLIENT spans with W3C context injected."""

    def __init__(self, telemetry: Telemetry, peer: str, base_url: str, *, timeout: float):
        self.telemetry = telemetry
        self.peer = peer
        self.http = httpx.Client(base_url=base_url, timeout=timeout)

    def request(self, method: str, path: str, *, json: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
        """Send one request inside a client span; exceptions are recorded on the span and re-raised."""
        headers = dict(headers or {})
        name = f"{method} {self.peer}"
        with self.telemetry.tracer.start_as_current_span(name, kind=SpanKind.CLIENT, record_exception=False,
                                                         set_status_on_exception=False) as span:
            span.set_attribute("http.request.method", method)
            span.set_attribute("peer.service", self.peer)
            propagate.inject(headers)
            request = self.http.build_request(method, path, json=json, headers=headers)
            # the URL as sent: httpx joins the base and the path
            span.set_attribute("url.full", str(request.url))
            try:
                response = self.http.send(request)
            except httpx.HTTPError as e:
                span.record_exception(e)
                span.set_status(Status(StatusCode.ERROR, type(e).__name__))
                raise
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR, f"HTTP {response.status_code}"))
            return response

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()
