"""The console's own metrics at ``/metrics``: its requests and its backend probes; and on every answer a
``Server-Timing`` header with the time the app took to produce it, and how much of it went waiting on backends.

Requests use the shop's metric names with ``service="opsconsole"``, so the console shows
in its own dashboards like any other service. Each app gets its own ``CollectorRegistry``
so that tests creating many apps never register the same metric twice.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder

from console.backends.base import Health
from console.tracing import SERVICE_NAME, current_ids
from console.waits import counting

EXTENSION = "opsconsole.telemetry"


class Metrics:
    """The console's metric families, all in one registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests", "HTTP requests served.",
            ["service", "route", "method", "status"], registry=self.registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds", "Time to serve an HTTP request.",
            ["service", "route", "method"], registry=self.registry,
        )
        self.backend_up = Gauge(
            "opsconsole_backend_up", "1 if the last probe of the backend succeeded, else 0.",
            ["backend"], registry=self.registry,
        )
        self.backend_latency = Gauge(
            "opsconsole_backend_probe_latency_seconds", "Latency of the last successful probe of the backend.",
            ["backend"], registry=self.registry,
        )
        # result: "sent" or "failed" once per delivery, "error" for every failed attempt
        self.notifications = Counter(
            "opsconsole_notifications", "Incident notifications by channel and result.",
            ["channel", "result"], registry=self.registry,
        )


class ServerTiming:
    """WSGI middleware: ``Server-Timing: app;dur=<ms>`` on every answer, the time from the request reaching the
    app to its status and headers (routing, session, auth, the view with its backend queries, the template);
    then ``backends;dur=<ms>`` when the view waited on concurrent backend queries, the time it waited.

    Browsers show both beside the network time in their developer tools: they tell a slow console from a slow
    backend, network or proxy; the benchmarks read them as the server's time and its own share of it.
    """

    def __init__(self, app: Callable[..., Any]):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Any:
        started = time.perf_counter()
        with counting() as waited:

            def timed(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                timing = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
                if waited():
                    timing += f', backends;dur={waited() * 1000:.1f};desc="waiting on backend queries"'
                headers.append(("Server-Timing", timing))
                return start_response(status, headers, exc_info)

            return self.app(environ, timed)


def init_app(app: Flask) -> None:
    """Count and time every request, serve ``/metrics`` and tell each client the app's time."""
    app.extensions[EXTENSION] = Metrics()
    app.wsgi_app = ServerTiming(app.wsgi_app)
    app.before_request(_start_timer)
    app.after_request(_observe)
    app.add_url_rule("/metrics", "metrics", _exposition)


def record_probes(results: Iterable[Health]) -> None:
    """Remember the outcome of backend probes in the current app's metrics."""
    metrics: Metrics = current_app.extensions[EXTENSION]
    for health in results:
        metrics.backend_up.labels(health.name).set(1 if health.healthy else 0)
        if health.latency_ms is not None:
            metrics.backend_latency.labels(health.name).set(health.latency_ms / 1000)


def record_notification(app: Flask, channel: str, result: str) -> None:
    """Count a notification outcome in ``app``'s metrics (called from delivery threads, so the app is explicit)."""
    metrics: Metrics = app.extensions[EXTENSION]
    metrics.notifications.labels(channel, result).inc()


def _start_timer() -> None:
    g.telemetry_started = time.perf_counter()


def _observe(response: Response) -> Response:
    metrics: Metrics = current_app.extensions[EXTENSION]
    # the route pattern, not the path: unknown paths must not create a series each
    route = request.url_rule.rule if request.url_rule else "unmatched"
    metrics.requests.labels(SERVICE_NAME, route, request.method, str(response.status_code)).inc()
    if "telemetry_started" in g:
        ids = current_ids()
        metrics.duration.labels(SERVICE_NAME, route, request.method).observe(
            time.perf_counter() - g.telemetry_started, exemplar={"trace_id": ids[0]} if ids else None)
    return response


def _exposition() -> Response:
    metrics: Metrics = current_app.extensions[EXTENSION]
    # OpenMetrics when Prometheus asks for it: only that format carries the exemplars.
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encoder(metrics.registry), content_type=content_type)
