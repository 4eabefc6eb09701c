"""Jaeger query API (``/api/services``, ``/api/traces/<id>``): traces as plain data."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.backends.base import Health, HttpBackend, probe
from console.errors import BackendError, UsageProblem

NAME = "jaeger"
SEARCH_PATH = "/api/traces"

TRACE_ID = re.compile(r"[0-9a-f]{1,32}")


@dataclass(frozen=True)
class Span:
    """One span; times in microseconds since the epoch, as Jaeger gives them."""

    span_id: str
    parent_id: str | None
    service: str
    operation: str
    start_us: int
    duration_us: int
    tags: dict[str, Any]
    events: list[dict[str, Any]]

    @property
    def error(self) -> bool:
        """Whether the span recorded an error status."""
        return self.tags.get("error") is True or self.tags.get("otel.status_code") == "ERROR"

    @property
    def kind(self) -> str:
        """``server``, ``client``, ``internal``, ``producer`` or ``consumer``."""
        return str(self.tags.get("span.kind", "internal"))


@dataclass(frozen=True)
class Trace:
    """A trace's spans, ordered by start time."""

    trace_id: str
    spans: list[Span]

    @property
    def services(self) -> list[str]:
        """The services that took part, in order of first appearance."""
        return list(dict.fromkeys(span.service for span in self.spans))

    @property
    def duration_us(self) -> int:
        """From the first span's start to the last span's end."""
        if not self.spans:
            return 0
        return max(s.start_us + s.duration_us for s in self.spans) - min(s.start_us for s in self.spans)


def normalize_trace_id(trace_id: str) -> str:
    """A trace id as Jaeger stores it: lower-case hex, 32 digits; anything else is a ``UsageProblem``."""
    text = trace_id.strip().lower()
    if not TRACE_ID.fullmatch(text):
        raise UsageProblem(f"not a trace id: {trace_id[:64]!r}")
    return text.rjust(32, "0")


def _micros(t: datetime) -> int:
    return int(t.timestamp() * 1_000_000)


def _tags(pairs: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {pair["key"]: pair.get("value") for pair in pairs or []}


def search_params(service: str, start: datetime, end: datetime, *, limit: int = 100,
                  min_duration_us: int | None = None, operation: str | None = None) -> dict[str, Any]:
    """The query string of a trace search (``SEARCH_PATH``), as ``Jaeger.find_traces`` sends it."""
    params: dict[str, Any] = {"service": service, "start": _micros(start), "end": _micros(end), "limit": limit}
    if operation:
        params["operation"] = operation
    if min_duration_us:
        params["minDuration"] = f"{min_duration_us}us"
    return params


def parse_services(body: Any) -> list[str]:
    """Service names of an ``/api/services`` answer, sorted."""
    return sorted(body.get("data") or [])


def parse_trace(body: Any) -> Trace:
    """The one trace of an ``/api/traces/<id>`` answer."""
    if not body.get("data"):
        raise BackendError(NAME, "answer holds no trace")
    return _trace(body["data"][0])


def parse_traces(body: Any) -> list[Trace]:
    """Every trace of an ``/api/traces?service=...`` search answer, in Jaeger's order."""
    if not isinstance(body, dict):
        raise BackendError(NAME, "search answer is not a JSON object")
    if body.get("errors"):
        raise BackendError(NAME, f"search failed: {body['errors'][0].get('msg', body['errors'][0])}")
    return [_trace(raw) for raw in body.get("data") or []]


def _trace(raw: dict[str, Any]) -> Trace:
    # A search answer holds hundreds of spans, parsed while a view's other queries wait for the GIL:
    # plain loops here, no generator per span.
    services = {pid: process.get("serviceName", "unknown") for pid, process in raw.get("processes", {}).items()}
    spans = []
    for item in raw.get("spans", []):
        parent = None
        for ref in item.get("references") or ():
            if ref.get("refType") == "CHILD_OF":
                parent = ref["spanID"]
                break
        spans.append(Span(
            span_id=item["spanID"],
            parent_id=parent,
            service=services.get(item.get("processID"), "unknown"),
            operation=item.get("operationName", ""),
            start_us=int(item["startTime"]),
            duration_us=int(item["duration"]),
            tags=_tags(item.get("tags")),
            events=[{"timestamp_us": log["timestamp"], **_tags(log.get("fields"))} for log in item.get("logs") or ()],
        ))
    spans.sort(key=lambda s: (s.start_us, s.span_id))
    return Trace(raw["traceID"].rjust(32, "0"), spans)


class Jaeger(HttpBackend):
    """A Jaeger query service at ``url``."""

    name = NAME

    def health(self) -> Health:
        """The query API answers the list of services."""
        return probe(self.name, self.url, lambda: f"{len(self.services())} services")

    def services(self) -> list[str]:
        """Names of the services that sent spans."""
        return parse_services(self._http.json("GET", "/api/services"))

    def trace(self, trace_id: str) -> Trace | None:
        """The trace with ``trace_id``, or None if Jaeger has none."""
        try:
            return parse_trace(self._http.json("GET", f"/api/traces/{normalize_trace_id(trace_id)}"))
        except BackendError as e:
            if e.status == 404:
                return None
            raise

    def find_traces(self, service: str, start: datetime, end: datetime, *, limit: int = 100,
                    min_duration_us: int | None = None, operation: str | None = None) -> list[Trace]:
        """The most recent traces (at most ``limit``) in which ``service`` took part between ``start`` and ``end``;
        with ``operation``, only those where one of its spans had that name."""
        params = search_params(service, start, end, limit=limit, min_duration_us=min_duration_us, operation=operation)
        return parse_traces(self._http.json("GET", SEARCH_PATH, params=params))
