"""The console's own log lines: ECS JSON, one per request and per warning, with trace ids.

Written to ``LOG_FILE`` (``opsconsole serve`` on the local stack points it into the
directory the log shipper tails), so the console's logs land in Elasticsearch beside
the shop's. Only the path is logged, never a query string, header or body: no secret
can reach the file.
"""
from __future__ import annotations

import logging
import os
import time

import ecs_logging
from flask import Flask, Response, current_app, g, request

from console.tracing import SERVICE_NAME, current_ids

LOGGER_NAME = "opsconsole.console"
EXTENSION = "opsconsole.ecslog"


class _Enrich(logging.Filter):
    """Adds the service names and the active span's ids to every record."""

    def __init__(self, node: str):
        super().__init__()
        self.node = node

    def filter(self, record: logging.LogRecord) -> bool:
        setattr(record, "service.name", SERVICE_NAME)
        setattr(record, "service.node.name", self.node)
        ids = current_ids()
        if ids:
            setattr(record, "trace.id", ids[0])
            setattr(record, "span.id", ids[1])
        return True


def init_app(app: Flask) -> None:
    """Send ``app.logger`` and an access line per request to ``LOG_FILE`` as ECS JSON, when set."""
    path = app.config.get("LOG_FILE")
    if not path:
        return
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(ecs_logging.StdlibFormatter(exclude_fields=["process", "log.origin", "log.original"]))
    handler.addFilter(_Enrich(f"console-{os.getpid()}"))
    # A logger of this app's own, outside the global registry: no handlers pile up across apps.
    logger = logging.Logger(LOGGER_NAME, logging.INFO)
    logger.addHandler(handler)
    app.extensions[EXTENSION] = logger
    # Flask reports unhandled errors through app.logger: those belong in the same file.
    app.logger.addHandler(handler)
    app.before_request(_start_clock)
    app.after_request(_access_line)


def _start_clock() -> None:
    g.ecslog_started = time.perf_counter()


def _access_line(response: Response) -> Response:
    if request.path in ("/metrics", "/healthz", "/readyz") or request.path.startswith("/static/"):
        return response
    status = response.status_code
    elapsed_ns = int((time.perf_counter() - g.get("ecslog_started", time.perf_counter())) * 1e9)
    current_app.extensions[EXTENSION].log(
        logging.ERROR if status >= 500 else logging.INFO,
        f"{request.method} {request.path} {status}",
        extra={"http.request.method": request.method, "http.response.status_code": status,
               "url.path": request.path, "event.duration": elapsed_ns, "event.kind": "event",
               "event.category": ["web"], "client.address": request.remote_addr},
    )
    return response
