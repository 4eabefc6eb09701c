"""The "what happened" report for a service and a window, assembled from query outcomes (pure).

Each section carries its items, or the error of the query it needed, or a note saying why it is empty.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from console.backends.prometheus import Exemplar
from console.correlate.fetch import Fetched
from console.correlate.red import Red, red_rows
from console.correlate.traces import failing, slowest
from console.correlate.window import Window

METRICS = ("rate", "error_ratio", "own_error_ratio", "p50", "p95", "p99")


@dataclass(frozen=True)
class Section:
    """One part of a report: ``items``, or the ``error`` that kept it empty, or a ``note`` on why it is."""

    key: str
    title: str
    items: list[Any] = field(default_factory=list)
    error: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Change:
    """One RED figure now and in the previous window."""

    metric: str
    now: float | None
    before: float | None

    @property
    def delta(self) -> float | None:
        """``now - before`` when both are known."""
        return None if self.now is None or self.before is None else self.now - self.before


@dataclass(frozen=True)
class ExemplarRef:
    """An exemplar of the latency histogram: when, how slow (seconds), and the trace it points at."""

    trace_id: str
    time: datetime
    seconds: float
    route: str


@dataclass(frozen=True)
class RuleChange:
    """One stored change of an alert rule: ``change`` is created, changed or deleted."""

    time: datetime
    rule_id: int
    group: str
    alert: str
    version: int
    change: str
    actor: str
    reason: str


@dataclass(frozen=True)
class ScaleAction:
    """One scale decision recorded for the service: who, from -> to, why, and how it ended."""

    time: datetime
    target: str
    actor: str
    kind: str
    from_replicas: int
    to_replicas: int
    reason: str
    result: str
    alerts: tuple[str, ...] = ()  # the firing alerts that added replicas to this decision


@dataclass(frozen=True)
class IncidentRef:
    """An incident of the service open during the window: how bad, what it says, and how it stands."""

    incident_id: int
    status: str
    severity: str
    summary: str
    opened_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class History:
    """What the console itself holds about a window: rule changes, the service's scale actions and incidents."""

    rule_changes: list[RuleChange]
    scale_actions: list[ScaleAction]
    incidents: list[IncidentRef] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    """What happened to ``service`` during ``window``, section by section."""

    service: str
    window: Window
    previous: Window
    sections: list[Section]

    def section(self, key: str) -> Section:
        """The section named ``key``."""
        return next(s for s in self.sections if s.key == key)

    def trace_ids(self) -> list[str]:
        """The traces the report points at (exemplars, slowest, failing), first seen first."""
        ids = [item.trace_id for key in ("exemplars", "slowest", "failing") for item in self.section(key).items]
        return list(dict.fromkeys(ids))


def red_of(fetched: dict[str, Fetched], prefix: str, service: str) -> tuple[Red | None, str | None]:
    """The service's ``Red`` from the outcomes named ``<prefix>:<metric>``, or the first error among them."""
    rows, error = red_rows(fetched, prefix=prefix)
    return next((r for r in rows if r.name == service), None), error


def changes(now: Red | None, before: Red | None) -> list[Change]:
    """Each RED figure now against the previous window; an absent side (no traffic) is None."""
    return [Change(m, getattr(now, m) if now else None, getattr(before, m) if before else None) for m in METRICS]


def exemplar_refs(exemplars: Iterable[Exemplar], *, limit: int = 5) -> list[ExemplarRef]:
    """The ``limit`` slowest exemplars that name a trace, slowest first, one per trace."""
    refs: dict[str, ExemplarRef] = {}
    for ex in sorted(exemplars, key=lambda e: (-e.value, e.time)):
        if ex.trace_id and ex.trace_id not in refs:
            refs[ex.trace_id] = ExemplarRef(ex.trace_id, datetime.fromtimestamp(ex.time, timezone.utc), ex.value,
                                            ex.series.get("route", ""))
    return list(refs.values())[:limit]


def _section(key: str, title: str, got: Fetched, make, empty: str) -> Section:
    if not got.ok:
        return Section(key, title, error=got.error)
    items = make(got.value)
    return Section(key, title, items, note=None if items else empty)


def assemble(service: str, window: Window, fetched: dict[str, Fetched], *, logs: Fetched | None = None,
             history: Fetched | None = None, limit: int = 5) -> Report:
    """The report from the outcomes of ``collect.what_happened``'s queries, the logs of its traces and the
    console's own ``history`` (a ``Fetched`` of ``History``)."""
    now, now_error = red_of(fetched, "now", service)
    before, before_error = red_of(fetched, "before", service)
    red_error = now_error or before_error
    red = Section("red", "Rate, errors, duration: now against the previous window",
                  [] if red_error else changes(now, before), error=red_error,
                  note=None if red_error or now or before else f"No requests of {service} in either window.")
    traces = fetched["traces"]
    sections = [
        red,
        _section("errors", "Top error messages", fetched["errors"], list, "No error lines with an error message."),
        _section("exemplars", "Slowest exemplar traces", fetched["exemplars"],
                 lambda ex: exemplar_refs(ex, limit=limit), "No exemplars in this window."),
        _section("slowest", "Slowest traces", traces, lambda ts: slowest(ts, limit=limit),
                 "No traces of this service in this window."),
        _section("failing", "Failing traces", traces, lambda ts: failing(ts, service, limit=limit),
                 f"No failed span of {service} among the traces searched."),
    ]
    if logs is None:
        sections.append(Section("logs", "Log lines of these traces", note="No traces to look up."))
    else:
        sections.append(_section("logs", "Log lines of these traces", logs, list, "No log lines carry these traces."))
    if history is None:
        history = Fetched(value=History([], []))
    sections += [
        _section("incidents", "Incidents", history, lambda h: h.incidents,
                 f"No incident of {service} was open in this window."),
        _section("rule_changes", "Recent rule changes", history, lambda h: h.rule_changes,
                 "No alert rule was created, changed or deleted in this window."),
        _section("scale_actions", "Recent scale actions", history, lambda h: h.scale_actions,
                 f"No scale action was recorded for {service} in this window."),
    ]
    return Report(service, window, window.previous(), sections)


def failed_report(service: str, window: Window, error: str) -> Report:
    """A report whose every query failed with ``error`` (the fan-out itself gave up)."""
    keys = ("red", "errors", "exemplars", "slowest", "failing", "logs", "incidents", "rule_changes", "scale_actions")
    return Report(service, window, window.previous(), [Section(k, k.replace("_", " ").capitalize(), error=error)
                                                      for k in keys])
