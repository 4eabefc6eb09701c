"""What the dashboard's pages and API both read, through the current app's adapters."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from console import store
from console.alerts import incidents
from console.backends import get_backend
from console.backends.elasticsearch import LogLine
from console.backends.jaeger import normalize_trace_id
from console.correlate import (
    Fetched,
    History,
    IncidentRef,
    Overview,
    Report,
    RuleChange,
    ScaleAction,
    TraceDetail,
    TraceSummary,
    Window,
    gather,
    overview,
    search_results,
    trace_detail,
    what_happened,
)
from console.correlate.alert import FINGERPRINT, alert_window, find_alert
from console.correlate.chart import uplot_columns
from console.correlate.collect import red_calls
from console.correlate.fetch import collect, submit
from console.correlate.red import Red, busiest_first, chart_queries, exemplar_query, instances_query, red_rows
from console.correlate.report import failed_report
from console.rules import versions
from console.scaling import service as scaling
from console.correlate.window import parse_window

TOP_ROUTES = 10
# a search for failed traces looks among this many of the newest: Jaeger cannot filter on a span's status
FAILED_SEARCH_DEPTH = 200
# a trace's "what happened" window: its own time, widened so that the RED figures have a few scrapes
TRACE_MARGIN = timedelta(minutes=5)


def parse_request_window(args: Mapping[str, str], at: datetime) -> Window:
    """The window of a request's ``range``/``start``/``end`` arguments."""
    return parse_window(now=at, range=args.get("range") or None, start=args.get("start") or None,
                        end=args.get("end") or None)


def fanout_timeout() -> float:
    """How long a view waits for its concurrent queries: a little over one backend call's timeout."""
    return current_app.config["BACKEND_TIMEOUT"] + 0.5


def now() -> datetime:
    """The current time in UTC (the one clock the dashboard reads)."""
    return datetime.now(timezone.utc)


def services_overview(window: Window, *, sparklines: bool = False) -> Overview:
    """Every service's RED over ``window``, worst first; with ``sparklines``, each one's request rate over it."""
    return overview(get_backend("prometheus"), window, timeout=fanout_timeout(), sparklines=sparklines)


def console_history(service: str, window: Window, *, limit: int = 20) -> Fetched:
    """The rule changes, ``service``'s scale actions and its incidents open in ``window``, newest first, or the
    store's error."""
    try:
        db = store.session()
        rules = [RuleChange(v.at, r.id, r.group_name, r.alert, v.version,
                            "deleted" if v.spec is None else "created" if v.version == 1 else "changed", v.actor, v.reason)
                 for v, r in versions.changes_between(db, window.start, window.end, limit=limit)]
        actions = [ScaleAction(e.at, e.target, e.actor, e.kind, e.from_replicas, e.to_replicas, e.reason, e.result,
                               tuple((e.detail or {}).get("alerts", ())))
                   for e in scaling.events(db, target=service, start=window.start, end=window.end, limit=limit)]
        held = [IncidentRef(i.id, i.status, i.severity, i.summary, i.opened_at, i.resolved_at)
                for i in incidents.of_service(db, service, window.start, window.end, limit=limit)]
    except SQLAlchemyError as e:
        return Fetched(error=f"the console's database: {type(e).__name__}", failure=e)
    return Fetched(value=History(rules, actions, held))


def service_report(service: str, window: Window) -> Report:
    """What happened to ``service`` in ``window``."""
    return what_happened(get_backend("prometheus"), get_backend("jaeger"), get_backend("elasticsearch"), service,
                         window, timeout=fanout_timeout(), history=lambda: console_history(service, window))


def alert_subject(ref: str) -> tuple[str, Window]:
    """The service and window of the alert ``ref`` (fingerprint or name) held by Alertmanager.

    ``AlertNotFound``, ``UsageProblem`` (no service label) or the backend's error otherwise.
    """
    alertmanager = get_backend("alertmanager")
    matchers = () if FINGERPRINT.match(ref) else (f'alertname="{ref}"',)
    return alert_window(find_alert(alertmanager.alerts(matchers), ref), now())


def trace(trace_id: str) -> TraceDetail:
    """A trace's spans and log lines; a malformed id is a ``UsageProblem``."""
    return trace_detail(get_backend("jaeger"), get_backend("elasticsearch"), normalize_trace_id(trace_id),
                        timeout=fanout_timeout())


def trace_window(detail: TraceDetail, now: datetime) -> Window | None:
    """The window around a trace's spans (never past ``now``), for the pages of the services it crossed."""
    if detail.trace is None or not detail.trace.spans:
        return None
    start = min(s.start_us for s in detail.trace.spans) / 1e6
    end = max(s.start_us + s.duration_us for s in detail.trace.spans) / 1e6
    return Window(datetime.fromtimestamp(start, timezone.utc) - TRACE_MARGIN,
                  min(now, datetime.fromtimestamp(end, timezone.utc) + TRACE_MARGIN))


@dataclass(frozen=True)
class TraceSearch:
    """The services Jaeger knows (when asked) and, when a service was given, the traces found; either may have failed."""

    services: list[str]
    traces: list[TraceSummary]
    searched: int
    error: str | None
    failure: Exception | None


def search_traces(window: Window, *, service: str | None, operation: str | None = None, min_ms: int | None = None,
                  failed_only: bool = False, limit: int = 0, list_services: bool = False) -> TraceSearch:
    """The newest traces of ``service`` in ``window`` (one of its spans named ``operation``, lasting at least
    ``min_ms``; with ``failed_only``, among the newest ``FAILED_SEARCH_DEPTH`` those where a span failed); with
    ``list_services``, also the services Jaeger knows (for a form to choose from)."""
    jaeger = get_backend("jaeger")
    depth = FAILED_SEARCH_DEPTH if failed_only else limit
    calls = {"services": jaeger.services} if list_services else {}
    if service:
        calls["traces"] = lambda: jaeger.find_traces(service, window.start, window.end, limit=depth,
                                                     operation=operation, min_duration_us=(min_ms or 0) * 1000)
    got = gather(calls, timeout=fanout_timeout())
    failed = next((f for f in got.values() if not f.ok), None)
    traces = got["traces"].value or [] if "traces" in got else []
    services = got["services"].value or [] if "services" in got else []
    return TraceSearch(sorted(services), search_results(traces, failed_only=failed_only, limit=limit), len(traces),
                       failed.error if failed else None, failed.failure if failed else None)


@dataclass(frozen=True)
class LogSearch:
    """Log lines newest first and their counts over time; either may have failed."""

    lines: list[LogLine]
    histogram: list[tuple[datetime, int]]
    interval_s: int  # each histogram bar's width
    error: str | None
    histogram_error: str | None
    failure: Exception | None
    services: list[str] = field(default_factory=list)  # suggestions for the service filter; none when unknown


def search_logs(window: Window, *, limit: int, list_services: bool = False, **criteria) -> LogSearch:
    """Lines matching ``criteria`` (text, service, level, trace_id) in ``window``, and their histogram; with
    ``list_services``, the services Jaeger knows, to suggest (without them the form still works: no banner)."""
    logs = get_backend("elasticsearch")
    interval = window.bucket_s
    calls = {"lines": lambda: logs.search_logs(start=window.start, end=window.end, limit=limit, **criteria),
             "histogram": lambda: logs.histogram(start=window.start, end=window.end, interval_s=interval, **criteria)}
    suggest = submit({"services": get_backend("jaeger").services}) if list_services else {}
    got = gather(calls, timeout=fanout_timeout())
    lines, histogram = got["lines"], got["histogram"]
    # the suggestions never hold the page up: those not there by the time the lines are go unshown
    services = collect(suggest, timeout=0)["services"].value or [] if suggest else []
    return LogSearch(lines.value or [], histogram.value or [], interval, lines.error, histogram.error, lines.failure,
                     sorted(services))


def tail_logs(since: datetime, *, limit: int, **criteria) -> Fetched:
    """The lines matching ``criteria`` from ``since`` until now, newest first, or the error that stopped it."""
    logs = get_backend("elasticsearch")
    return gather({"lines": lambda: logs.search_logs(start=since, end=now(), limit=limit, **criteria)},
                  timeout=fanout_timeout())["lines"]


@dataclass(frozen=True)
class ServicePage:
    """A service's report, its chart data (uPlot's columns) with exemplars, and its instances."""

    report: Report
    chart: dict | None
    chart_error: str | None
    instances: list[dict]
    instances_error: str | None
    routes: list[Red] = field(default_factory=list)
    routes_error: str | None = None


def service_page(service: str, window: Window) -> ServicePage:
    """Everything the service page shows; the report and the charts are fetched concurrently."""
    prom, jaeger, logs = get_backend("prometheus"), get_backend("jaeger"), get_backend("elasticsearch")
    timeout = fanout_timeout()
    calls = {f"chart:{key}": (lambda q=q: prom.query_range(q, window.start, window.end, window.step_s))
             for key, q in chart_queries(service, step_s=window.step_s).items()}
    calls["exemplars"] = lambda: prom.query_exemplars(exemplar_query(service), window.start, window.end)
    calls["instances"] = lambda: prom.query(instances_query(service), window.end)
    calls.update(red_calls(prom, window, prefix="routes", service=service, by="route"))
    history = console_history(service, window)  # the store is read here: the fan-out's threads have no app context
    calls["report"] = lambda: what_happened(prom, jaeger, logs, service, window, timeout=timeout,
                                            history=lambda: history)
    # the report fans out on its own: give it the time of its two rounds
    got = gather(calls, timeout=2 * timeout + 0.5)
    charts = {k.split(":", 1)[1]: f for k, f in got.items() if k.startswith("chart:")}
    chart_error = next((f.error for f in charts.values() if not f.ok), None)
    chart = None if chart_error else uplot_columns({k: f.value for k, f in charts.items()},
                                                   got["exemplars"].value or [])
    if chart is not None:
        # the charts span the chosen range even where data covers only part of it
        chart["range"] = [window.start.timestamp(), window.end.timestamp()]
    instances = got["instances"]
    report = got["report"].value if got["report"].ok else failed_report(service, window, got["report"].error)
    replicas = sorted(instances.value or [], key=lambda s: s.labels.get("replica", ""))
    routes, routes_error = red_rows(got, prefix="routes", by="route")
    return ServicePage(report, chart, chart_error,
                       [{"replica": s.labels.get("replica", ""), "instance": s.labels.get("instance", ""),
                         "up": s.value == 1} for s in replicas], instances.error,
                       busiest_first(routes)[:TOP_ROUTES], routes_error)
