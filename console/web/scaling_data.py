"""What the scaling pages read: replicas from the executor, metrics from Prometheus, decisions from the store.

Replicas and metrics are fetched concurrently; either failing leaves an error for a banner and
the stored view (the last applied decision's count) in place of the live one, never a failed page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from console import store
from console.backends import get_backend
from console.correlate import Window, gather
from console.scaling import executor, service
from console.scaling.engine import proposals
from console.scaling.loop import measure
from console.scaling.models import ScaleOverride, ScaleRecord
from console.scaling.policy import Policy, document_text
from console.scaling.timeline import chart, load_points
from console.web.dashboard_data import fanout_timeout

RECENT = 5


@dataclass(frozen=True)
class Reading:
    """One metric now: its value against its target and the count it asks for, or why it has none."""

    name: str
    kind: str
    target: float
    value: float | None = None
    replicas: int | None = None
    within_tolerance: bool = False
    error: str | None = None


@dataclass(frozen=True)
class TargetView:
    """A target on the overview: replicas now (or the stored count), desired, readings, recent decisions, override."""

    name: str
    policy: Policy
    current: int | None
    ready: int | None
    stored: int | None
    desired: int | None
    readings: list[Reading]
    recent: list[ScaleRecord]
    override: ScaleOverride | None


@dataclass(frozen=True)
class Overview:
    """Every target, and what could not be read live."""

    targets: list[TargetView]
    replicas_error: str | None = None
    metrics_error: str | None = None


@dataclass(frozen=True)
class TargetPage:
    """One target over a window: the chart's columns, its decision records, policy YAML and state now."""

    view: TargetView
    records: list[ScaleRecord]
    chart: dict[str, Any] | None
    policy_yaml: str
    replicas_error: str | None = None
    chart_error: str | None = None
    notes: list[str] = field(default_factory=list)


def _override(db, target: str, now: datetime) -> ScaleOverride | None:
    found = db.get(ScaleOverride, target)
    return found if found is not None and found.is_active(now) else None


def _target_view(db, policy: Policy, now: datetime, replicas, metrics: dict[str, Any]) -> TargetView:
    """A target's state from what was fetched: ``replicas`` of ``(current, ready)`` and each metric, by name."""
    name = policy.target
    recent = service.events(db, target=name, limit=RECENT)
    applied = next((r for r in recent if r.result == "applied"), None)
    stored = applied.to_replicas if applied is not None else None
    current, ready = replicas.value if replicas.ok else (None, None)
    override = _override(db, name, now)
    decided = next((r for r in recent if not r.dry_run), None)
    desired = override.replicas if override else (decided.to_replicas if decided else current)
    # the ratios of a stopped stack are figured on the count it last had
    count = current or stored or policy.spec.min_replicas or 1
    observed = {name: f.value for name, f in metrics.items() if f.ok}
    found, errors = proposals(policy, observed, count, ready if current else count)
    by_name = {p.metric: p for p in found}
    readings = []
    for metric in policy.spec.metrics:
        target = metric.source.target
        goal = target.value or target.average_value or target.average_utilization
        kind = f"{metric.type} {target.type}"
        if not metrics[metric.name].ok:
            readings.append(Reading(metric.name, kind, goal, error=metrics[metric.name].error))
        elif metric.name in by_name:
            p = by_name[metric.name]
            readings.append(Reading(metric.name, kind, p.target, p.value, p.replicas, p.within_tolerance))
        else:
            why = next((e.split(": ", 1)[-1] for e in errors if e.startswith(f"{metric.name}:")), "no value")
            readings.append(Reading(metric.name, kind, goal, error=why))
    return TargetView(name, policy, current, ready, stored, desired, readings, recent, override)


def overview(now: datetime) -> Overview:
    """Every stored policy's target now; replicas and metrics fetched concurrently."""
    db = store.session()
    policies = [Policy.model_validate(r.document) for r in service.list_policies(db)]
    run, prom = executor(), get_backend("prometheus")
    calls = {f"replicas:{p.target}": (lambda t=p.target: run.replicas(t)) for p in policies}
    for p in policies:
        for m in p.spec.metrics:
            calls[f"metric:{p.target}:{m.name}"] = lambda p=p, m=m: measure(prom, m, p.target, now)
    got = gather(calls, timeout=fanout_timeout())
    views = []
    for p in policies:
        metrics = {m.name: got[f"metric:{p.target}:{m.name}"] for m in p.spec.metrics}
        views.append(_target_view(db, p, now, got[f"replicas:{p.target}"], metrics))
    return Overview(views, _first_error(got, "replicas:"), _first_error(got, "metric:"))


def preview(policy: Policy, now: datetime) -> Overview:
    """What ``policy`` would read now, before it is saved: its target's replicas and each metric against its target."""
    run, prom = executor(), get_backend("prometheus")
    calls: dict[str, Any] = {"replicas:": lambda: run.replicas(policy.target)}
    for m in policy.spec.metrics:
        calls[f"metric:{m.name}"] = lambda m=m: measure(prom, m, policy.target, now)
    got = gather(calls, timeout=fanout_timeout())
    metrics = {m.name: got[f"metric:{m.name}"] for m in policy.spec.metrics}
    view = _target_view(store.session(), policy, now, got["replicas:"], metrics)
    return Overview([view], _first_error(got, "replicas:"), _first_error(got, "metric:"))


def _first_error(got: dict, prefix: str) -> str | None:
    return next((f.error for k, f in got.items() if k.startswith(prefix) and not f.ok), None)


def target_page(target: str, window: Window, now: datetime) -> TargetPage:
    """Everything the target page shows; ``service.UnknownTarget`` when no policy scales ``target``."""
    db = store.session()
    policy = service.policy_for(db, target)
    run, prom = executor(), get_backend("prometheus")
    calls: dict[str, Any] = {"replicas": lambda: run.replicas(target)}
    first = policy.spec.metrics[0] if policy.spec.metrics else None
    if first is not None:
        calls["load"] = lambda: prom.query_range(first.promql(target), window.start, window.end, window.step_s)
    for m in policy.spec.metrics:
        calls[f"metric:{m.name}"] = lambda m=m: measure(prom, m, target, now)
    got = gather(calls, timeout=fanout_timeout())
    metrics = {m.name: got[f"metric:{m.name}"] for m in policy.spec.metrics}
    view = _target_view(db, policy, now, got["replicas"], metrics)
    initial, records = service.timeline(db, target, window.start, window.end)
    if initial is None and not any(r.result == "applied" for r in records):
        # nothing changed the count in the window: it has been what runs now (or what was last stored)
        initial = view.current if view.current is not None else view.stored
    columns, chart_error, notes = None, None, []
    if first is None:
        notes.append("The policy has no metrics: there is no load to chart.")
    elif not got["load"].ok:
        chart_error = got["load"].error
    columns = chart(load_points(got["load"].value or [], first), records, first, start=window.start, end=window.end,
                    initial=initial) if first is not None else None
    document = policy.model_dump(mode="json", by_alias=True, exclude_none=True)
    return TargetPage(view, list(reversed(records)), columns, document_text(document),
                      None if got["replicas"].ok else got["replicas"].error, chart_error, notes)
