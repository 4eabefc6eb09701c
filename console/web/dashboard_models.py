"""The models the dashboard's API answers with (the pages render the same data), and the shared query models."""
from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from console.backends.elasticsearch import LogLine
from console.backends.jaeger import Span
from console.correlate import Red, Window, parse_window
from console.correlate.report import Report

NAME = r"^[A-Za-z0-9_.:-]{1,64}$"
TRACE_ID = r"^[0-9a-fA-F]{1,32}$"
TIME = Field(default=None, max_length=40, description="RFC 3339 (UTC if no offset) or unix seconds")


class WindowQuery(BaseModel):
    """The time range: a preset ending now (default 15m), or ``range=custom`` with ``start`` and ``end``."""

    model_config = ConfigDict(extra="forbid")

    range: Literal["15m", "1h", "6h", "24h", "custom"] | None = None
    start: str | None = TIME
    end: str | None = TIME

    def window(self, now: datetime) -> Window:
        """The window asked for; a malformed one is a ``UsageProblem`` (400)."""
        return parse_window(now=now, range=self.range, start=self.start, end=self.end)


class WindowOut(BaseModel):
    """The time range an answer covers."""

    start: datetime
    end: datetime
    preset: str | None


class RedOut(BaseModel):
    """Requests/s, the share of 5xx answers (all, and the service's own: not 502/503/504), latency in seconds."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    rate: float | None
    error_ratio: float | None
    own_error_ratio: float | None
    p50: float | None
    p95: float | None
    p99: float | None
    replicas: int | None


class LogOut(BaseModel):
    """One log line, with its whole ECS document as ``source``."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    timestamp: datetime
    level: str
    message: str
    service: str
    node: str
    trace_id: str | None
    span_id: str | None
    source: dict[str, Any]


class SpanOut(BaseModel):
    """One span: times in microseconds since the epoch, ``critical`` when on the critical path."""

    span_id: str
    parent_id: str | None
    service: str
    operation: str
    start_us: int
    duration_us: int
    error: bool
    critical: bool
    tags: dict[str, Any]
    events: list[dict[str, Any]]


class SectionOut(BaseModel):
    """One part of a report: items, or the error that kept it empty, or a note on why it is."""

    key: str
    title: str
    items: list[dict[str, Any]]
    error: str | None
    note: str | None


class ReportOut(BaseModel):
    """What happened to a service in a window, against the previous window of the same length."""

    service: str
    window: WindowOut
    previous: WindowOut
    sections: list[SectionOut]


def window_out(window: Window) -> WindowOut:
    """The API form of ``window``."""
    return WindowOut(start=window.start, end=window.end, preset=window.preset)


def red_out(row: Red) -> RedOut:
    """The API form of a RED row."""
    return RedOut.model_validate(row)


def log_out(line: LogLine) -> LogOut:
    """The API form of a log line."""
    return LogOut.model_validate(line)


def span_out(span: Span, critical: bool) -> SpanOut:
    """The API form of a span."""
    return SpanOut(span_id=span.span_id, parent_id=span.parent_id, service=span.service, operation=span.operation,
                   start_us=span.start_us, duration_us=span.duration_us, error=span.error, critical=critical,
                   tags=span.tags, events=span.events)


def report_out(report: Report) -> ReportOut:
    """The API form of a report; section items become plain objects."""
    return ReportOut(service=report.service, window=window_out(report.window), previous=window_out(report.previous),
                     sections=[SectionOut(key=s.key, title=s.title, items=[_fields(i) for i in s.items],
                                          error=s.error, note=s.note) for s in report.sections])


def _fields(item: Any) -> dict[str, Any]:
    # one level only: pydantic writes nested dataclasses itself, where asdict would deep-copy every log
    # line's whole document first (a tenth of a correlate answer's time, for the same JSON)
    return {f.name: getattr(item, f.name) for f in fields(item)}
