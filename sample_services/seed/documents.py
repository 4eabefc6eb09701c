"""The made-up spans as the shop would have shipped them (pure): ECS log lines for Elasticsearch and
OTLP/JSON export requests for Jaeger."""
from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator
from typing import Any

from sample_services.seed.shapes import CLIENT, MS, SERVER, Span

INDEX_PREFIX = "logs-opsconsole"
# what a service says while it works on a request, besides its access line
CHATTER = {
    "gateway": ("rate limit ok", "request accepted", "calling upstream", "upstream answered"),
    "catalog": ("cache hit {key}", "cache miss {key}", "loaded product list", "serialized response"),
    "orders": ("order accepted", "reservation requested", "order event appended to stream"),
    "inventory": ("lock acquired for product", "stock checked", "reservation held", "lock released"),
    "payments": ("authorizing payment", "provider answered", "payment recorded"),
}


def iso(ns: int) -> str:
    """An RFC 3339 UTC timestamp with milliseconds, as the shop's loggers write."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 1_000_000_000)) + f".{(ns // MS) % 1000:03d}Z"


def index_name(timestamp: str, prefix: str = INDEX_PREFIX) -> str:
    """The daily index of a line stamped ``timestamp`` (RFC 3339 UTC), as the log shipper names it."""
    return f"{prefix}-{timestamp[:10].replace('-', '.')}"


def lines_per_span(lines: int, spans: int) -> Iterator[int]:
    """How many lines each of ``spans`` spans gets so that they add up to ``lines``, the extra ones first."""
    each, extra = divmod(lines, spans)
    return (each + (1 if n < extra else 0) for n in range(spans))


def span_lines(rng: random.Random, span: Span, count: int) -> list[dict[str, Any]]:
    """``count`` ECS lines written during ``span``: chatter, an error line where it failed itself, and last
    the access line of a server span."""
    if count <= 0:
        return []
    base = {"service.name": span.service, "service.node.name": span.node, "trace.id": span.trace_id,
            "span.id": span.span_id}
    closing = []
    if span.kind == SERVER:
        closing.append(_access(span))
    if span.error:
        kind, message = span.error
        closing.insert(0, {"log.level": "error", "message": f"payment failed: {message}",
                           "event.dataset": f"{span.service}.error", "event.outcome": "failure",
                           "error.type": kind, "error.message": message})
    closing = closing[-count:]
    chatter = CHATTER[span.service]
    body = [{"log.level": "warn" if rng.random() < 0.03 else "info", "event.dataset": f"{span.service}.app",
             "message": rng.choice(chatter).format(key=f"product:{rng.randint(1, 50)}")}
            for _ in range(count - len(closing))]
    entries = body + closing
    step = (span.end_ns - span.start_ns) // len(entries)
    return [{"@timestamp": iso(span.start_ns + step * (n + 1)), **entry, **base} for n, entry in enumerate(entries)]


def _access(span: Span) -> dict[str, Any]:
    method = span.name.split(" ", 1)[0]
    failed = (span.status or 0) >= 500
    return {"log.level": "error" if failed else "info", "message": f"{method} {span.path} {span.status}",
            "event.dataset": f"{span.service}.access", "event.kind": "event", "event.category": "web",
            "event.outcome": "failure" if failed else "success", "event.duration": span.end_ns - span.start_ns,
            "http.request.method": method, "http.response.status_code": span.status, "url.path": span.path}


def _attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": str(value)}}


def otlp_span(span: Span) -> dict[str, Any]:
    """One span in OTLP/JSON (ids in hex, times as decimal strings of nanoseconds)."""
    out: dict[str, Any] = {"traceId": span.trace_id, "spanId": span.span_id, "name": span.name, "kind": span.kind,
                           "startTimeUnixNano": str(span.start_ns), "endTimeUnixNano": str(span.end_ns)}
    if span.parent_id:
        out["parentSpanId"] = span.parent_id
    attributes = []
    if span.kind in (SERVER, CLIENT):
        attributes.append(_attr("http.request.method", span.name.split(" ", 1)[0]))
    if span.kind == SERVER:
        attributes += [_attr("http.route", span.name.split(" ", 1)[1]), _attr("url.path", span.path)]
    elif span.kind == CLIENT:
        attributes.append(_attr("peer.service", span.name.split(" ", 1)[1]))
    if span.status is not None:
        attributes.append(_attr("http.response.status_code", span.status))
    out["attributes"] = attributes
    if span.error:
        kind, message = span.error
        out["events"] = [{"name": "exception", "timeUnixNano": str(span.end_ns - MS),
                          "attributes": [_attr("exception.type", kind), _attr("exception.message", message)]}]
    if span.failed:
        out["status"] = {"code": 2, "message": span.error[1] if span.error else f"HTTP {span.status}"}
    return out


def otlp_request(spans: Iterable[Span]) -> dict[str, Any]:
    """An OTLP/JSON trace export request holding ``spans``, one resource per replica."""
    by_node: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for span in spans:
        by_node.setdefault((span.service, span.node), []).append(otlp_span(span))
    return {"resourceSpans": [
        {"resource": {"attributes": [_attr("service.name", service), _attr("service.instance.id", node)]},
         "scopeSpans": [{"scope": {"name": "sample_services.seed"}, "spans": items}]}
        for (service, node), items in by_node.items()]}
