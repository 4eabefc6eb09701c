"""The evidence a notification carries, so the person paged can act from a phone: a chart of the alert's
expression over the last hour with its threshold, the service's failing traces and its most frequent error
messages.

Fetched when a message is sent, concurrently and within the backend timeout; what cannot be fetched is named
in the message and never holds it back. The chart is drawn server side with matplotlib.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from console.alerts.models import Incident
from console.backends.elasticsearch import ErrorMessage
from console.backends.prometheus import Series
from console.correlate.collect import TRACE_SEARCH_LIMIT
from console.correlate.fetch import gather
from console.correlate.traces import TraceSummary, failing
from console.rules.backtest import label_text, split_threshold

__all__ = ["Evidence", "expression_of", "gather_evidence", "render_chart"]

SPAN = timedelta(hours=1)
STEP_S = 30
MAX_LINES = 8
TOP = 3


@dataclass(frozen=True)
class Evidence:
    """What was found for an incident; ``missing`` names each part that could not be fetched, and why."""

    expression: str | None = None
    chart_png: bytes | None = None
    failing: list[TraceSummary] = field(default_factory=list)
    errors: list[ErrorMessage] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def expression_of(generator_url: str) -> str | None:
    """The PromQL of an alert, from the ``g0.expr`` of the Prometheus graph link it was sent with."""
    found = parse_qs(urlsplit(generator_url or "").query).get("g0.expr")
    return found[0].strip() or None if found else None


def gather_evidence(incident: Incident, *, prometheus, jaeger, logs, now: datetime, timeout: float) -> Evidence:
    """The evidence for ``incident`` over the hour before ``now``, each backend asked at once."""
    start = now - SPAN
    firing = [a for a in incident.alerts if a.status == "firing"] or list(incident.alerts)
    expression = next((e for e in (expression_of(a.generator_url) for a in firing) if e), None)
    split = split_threshold(expression) if expression else None
    calls = {}
    if expression:
        charted = split[0] if split else expression
        calls["chart"] = lambda: prometheus.query_range(charted, start, now, STEP_S)
    if incident.service:
        calls["traces"] = lambda: jaeger.find_traces(incident.service, start, now, limit=TRACE_SEARCH_LIMIT)
        calls["errors"] = lambda: logs.top_errors(start=start, end=now, service=incident.service, size=TOP)
    got = gather(calls, timeout=timeout)
    missing = [f"{name}: {fetched.error}" for name, fetched in got.items() if not fetched.ok]
    chart = None
    if "chart" in got and got["chart"].ok:
        if got["chart"].value:
            chart = render_chart(got["chart"].value, split[2] if split else None, title=expression, start=start,
                                 end=now)
        else:
            missing.append("chart: the expression returned no series over the last hour")
    traces = got.get("traces")
    errors = got.get("errors")
    return Evidence(expression=expression, chart_png=chart,
                    failing=failing(traces.value, incident.service, limit=TOP) if traces and traces.ok else [],
                    errors=errors.value if errors and errors.ok else [], missing=missing)


def render_chart(series: list[Series], threshold: float | None, *, title: str, start: datetime,
                 end: datetime) -> bytes:
    """A PNG of ``series`` (the highest ``MAX_LINES``) over ``start..end`` with the threshold dashed."""
    # the object API, not pyplot: no global figure state shared between the notifier's threads
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3.2), dpi=100, layout="constrained")
    axes = figure.subplots()
    lines = sorted(series, key=lambda s: -max((v for _, v in s.points), default=0.0))[:MAX_LINES]
    for s in lines:
        axes.plot([datetime.fromtimestamp(t, start.tzinfo) for t, _ in s.points], [v for _, v in s.points],
                  linewidth=1.4, label=label_text(s.labels))
    if threshold is not None:
        axes.axhline(threshold, color="#b42318", linestyle="--", linewidth=1, label=f"threshold {threshold:g}")
    axes.set_xlim(start, end)
    axes.xaxis.set_major_formatter(DateFormatter("%H:%M", tz=start.tzinfo))
    axes.set_title(title if len(title) <= 90 else title[:87] + "...", fontsize=9, loc="left")
    axes.set_xlabel("UTC", fontsize=8)
    axes.grid(alpha=0.3)
    axes.tick_params(labelsize=8)
    axes.legend(fontsize=7, loc="upper left")
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
