"""The dashboard under an hour of shop telemetry: ``GET correlate`` and the overview against the backend
queries they make, timed side by side in one run, and the overview's first contentful paint.

On a private stack: the shop (one replica each) under a minute of steady load, then
``sample_services.seed`` sends ``BENCH_SPANS`` spans (100 000) over the last hour to Jaeger and
``BENCH_LINES`` log lines (1 000 000) to Elasticsearch; once Elasticsearch has stopped merging them,
``opsconsole serve`` (gunicorn) on a free port. Each of ``BENCH_ROUNDS`` rounds (20) times, one after the
other:
1. ``GET /api/v1/correlate?service=payments&range=1h`` (viewer token), then every backend query it makes
   run alone through the console's adapters with the same arguments (the RED of both windows, top
   errors, exemplars, the trace search, then the logs of the traces the answer named). Goal: correlate
   p50 / the slowest single query's p50 at most 1.25 (the queries overlap and assembly costs little).
   Beside it, this machine's floor (``bench.dashboard_floor``): the report's requests that need no other's
   answer sent by curl, each alone and then all at once.
2. the overview page ``GET /services?range=1h`` (a session logged in through the form), then its
   Prometheus queries alone, run concurrently as the page runs them. Goal: the page's server time (its
   ``Server-Timing`` header: from the request reaching the app to its answer) over the queries' time, ratio
   of p50s at most 1.2; beside it the page's own work (per request, the server time less the ``backends``
   part of the same header: the time it waited on its queries) and the round trip seen by the client (HTTP
   and gunicorn added).
Then the overview's first contentful paint in headless Chromium. The machine is shared: only the
ratios, measured side by side, compare; the absolute figures move with the load.
"""
from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from datetime import datetime, timezone
from urllib.parse import urlencode

import httpx

from bench.common import percentile, private_stack
from bench.dashboard_browser import first_paints
from bench.dashboard_console import Console, log_in, running_console
from bench.dashboard_floor import Request, at_once, install
from console.backends import create
from console.backends.elasticsearch import top_errors_search
from console.backends.jaeger import SEARCH_PATH, search_params
from console.correlate import overview, parse_window
from console.correlate.collect import (ERROR_LINES_PER_TRACE, FIRST_LINES_PER_TRACE, LOG_SLACK, TRACE_SEARCH_LIMIT,
                                      report_red_queries, what_happened)
from console.correlate.red import exemplar_query, folded
from deploy.local.layout import HOST, Ports, service_port
from sample_services.loadgen import run_load
from sample_services.runtime import services_down, services_up
from sample_services.seed import seed

LINES = int(os.environ.get("BENCH_LINES", "1000000"))
SPANS = int(os.environ.get("BENCH_SPANS", "100000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
WARMUP = 3
PAINTS = 5
SERVICE = "payments"
BACKEND_TIMEOUT = 5.0  # above the console's default (2 s): a slow answer on a busy machine is timed, not cut
LOAD_SECONDS = 60  # enough scrapes for Prometheus to hold RED series and exemplars of every service
ONE_EACH = {"gateway": 1, "catalog": 1, "orders": 1, "inventory": 1, "payments": 1}


def timed(call: Callable[[], object]) -> tuple[float, object]:
    """Milliseconds ``call`` took, and what it returned."""
    started = time.perf_counter()
    value = call()
    return (time.perf_counter() - started) * 1000, value


def correlate_queries(backends: dict, window, trace_ids: list[str]) -> dict[str, Callable[[], object]]:
    """Every backend query of ``collect.what_happened`` for ``SERVICE`` over ``window``, with its arguments."""
    prom, jaeger, logs = backends["prometheus"], backends["jaeger"], backends["elasticsearch"]
    red = report_red_queries(window, SERVICE)
    calls = {"red": lambda: prom.query(folded(red), window.end),
             "errors": lambda: logs.top_errors(start=window.start, end=window.end, service=SERVICE),
             "exemplars": lambda: prom.query_exemplars(exemplar_query(SERVICE), window.start, window.end),
             "traces": lambda: jaeger.find_traces(SERVICE, window.start, window.end, limit=TRACE_SEARCH_LIMIT)}
    if trace_ids:
        calls["logs of the traces"] = lambda: logs.lines_of_traces(
            trace_ids, start=window.start - LOG_SLACK, end=window.end + LOG_SLACK, first=FIRST_LINES_PER_TRACE,
            errors=ERROR_LINES_PER_TRACE)
    return calls


def report_requests(ports: Ports, window) -> list[Request]:
    """The report's requests that need no other's answer (all but the log lines of its traces), as HTTP: the
    trace search first."""
    prom = f"http://{HOST}:{ports.prometheus}"
    search = search_params(SERVICE, window.start, window.end, limit=TRACE_SEARCH_LIMIT)
    red = report_red_queries(window, SERVICE)
    return [Request(f"http://{HOST}:{ports.jaeger_query}{SEARCH_PATH}?{urlencode(search)}"),
            Request(f"{prom}/api/v1/query", form={"query": folded(red), "time": repr(window.end.timestamp())}),
            Request(f"{prom}/api/v1/query_exemplars", form={"query": exemplar_query(SERVICE),
                                                             "start": repr(window.start.timestamp()),
                                                             "end": repr(window.end.timestamp())}),
            Request(f"http://{HOST}:{ports.elasticsearch}/logs-opsconsole-*/_search",
                    json={**top_errors_search(start=window.start, end=window.end, service=SERVICE), "size": 0})]


def floor_round(ports: Ports, samples: dict[str, list[float]]) -> None:
    """The report's independent requests sent by curl, each alone, then all at once (see bench.dashboard_floor)."""
    window = parse_window(now=datetime.now(timezone.utc), range="1h")
    requests = report_requests(ports, window)
    samples.setdefault("floor: slowest alone", []).append(max(at_once([r])[0] for r in requests))
    # a window a few milliseconds later: the same answers, but not from Elasticsearch's request cache
    window = parse_window(now=datetime.now(timezone.utc), range="1h")
    samples.setdefault("floor: at once", []).append(max(at_once(report_requests(ports, window))))


def settle(es_url: str, *, seconds: float = 180) -> float:
    """Wait until Elasticsearch merges no segment (the million lines just indexed leave merges running for a
    while, which would be timed as the queries' own cost); the seconds waited."""
    started = time.monotonic()
    quiet = 0
    with httpx.Client(base_url=es_url, timeout=10) as http:
        while quiet < 3 and time.monotonic() - started < seconds:
            nodes = http.get("/_nodes/stats/indices/merge").raise_for_status().json()["nodes"].values()
            quiet = quiet + 1 if all(n["indices"]["merges"]["current"] == 0 for n in nodes) else 0
            time.sleep(1)
    return time.monotonic() - started


def report_trace_ids(body: dict) -> list[str]:
    """The trace ids a correlate answer points at (exemplars, slowest, failing), first seen first."""
    sections = {s["key"]: s for s in body["sections"]}
    ids = [item["trace_id"] for key in ("exemplars", "slowest", "failing") for item in sections[key]["items"]]
    return list(dict.fromkeys(ids))


def server_timing(answer: httpx.Response, samples: dict[str, list[float]], name: str) -> None:
    """Record ``answer``'s ``Server-Timing``: the app's whole time as ``<name> server`` and, per request, the
    time it did not spend waiting on its backend queries (``app`` less ``backends``) as ``<name> own work``."""
    timing = {m[1]: float(m[2]) for m in re.finditer(r"(\w+);dur=([0-9.]+)", answer.headers["Server-Timing"])}
    samples.setdefault(f"{name} server", []).append(timing["app"])
    samples.setdefault(f"{name} own work", []).append(timing["app"] - timing.get("backends", 0.0))


def correlate_round(api: httpx.Client, backends: dict, samples: dict[str, list[float]]) -> dict:
    """Time one ``GET correlate``, then each query it made, alone; returns the answer."""
    ms, answer = timed(lambda: api.get("/api/v1/correlate", params={"service": SERVICE, "range": "1h"}))
    answer.raise_for_status()
    body = answer.json()
    samples.setdefault("correlate", []).append(ms)
    server_timing(answer, samples, "correlate")
    window = parse_window(now=datetime.now(timezone.utc), range="1h")
    for name, call in correlate_queries(backends, window, report_trace_ids(body)).items():
        samples.setdefault(name, []).append(timed(call)[0])
    # the console's own fan-out run here, without HTTP, Flask or the store: what the web layer adds
    samples.setdefault("in process", []).append(timed(lambda: what_happened(
        backends["prometheus"], backends["jaeger"], backends["elasticsearch"], SERVICE, window,
        timeout=BACKEND_TIMEOUT + 0.5))[0])
    return body


def overview_round(page: httpx.Client, backends: dict, samples: dict[str, list[float]]) -> None:
    """Time the overview page, then its Prometheus queries alone, run as the page runs them (concurrently)."""
    ms, answer = timed(lambda: page.get("/services", params={"range": "1h"}))
    answer.raise_for_status()
    samples.setdefault("page", []).append(ms)
    server_timing(answer, samples, "page")
    window = parse_window(now=datetime.now(timezone.utc), range="1h")
    ms, found = timed(lambda: overview(backends["prometheus"], window, timeout=BACKEND_TIMEOUT + 0.5, sparklines=True))
    assert found.error is None, found.error
    samples.setdefault("prometheus", []).append(ms)


def measure(console: Console, backends: dict, ports: Ports) -> tuple[dict[str, list[float]], dict[str, list[float]],
                                                                     dict[str, list[float]], dict]:
    """``ROUNDS`` rounds of the comparisons (after ``WARMUP`` untimed ones); the last correlate answer."""
    correlate: dict[str, list[float]] = {}
    pages: dict[str, list[float]] = {}
    floor: dict[str, list[float]] = {}
    with httpx.Client(base_url=console.url, headers=console.bearer, timeout=60) as api, \
            httpx.Client(base_url=console.url, timeout=60) as page:
        log_in(page, console)
        for n in range(WARMUP + ROUNDS):
            body = correlate_round(api, backends, correlate)
            floor_round(ports, floor)
            overview_round(page, backends, pages)
            if n == WARMUP - 1:
                correlate.clear()
                pages.clear()
                floor.clear()
    return correlate, pages, floor, body


def wait_for_traces(jaeger_url: str, trace_ids: list[str], *, seconds: float = 120) -> None:
    """Block until Jaeger serves every one of ``trace_ids`` (bounded)."""
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=jaeger_url, timeout=10) as http:
        for trace_id in trace_ids:
            while http.get(f"/api/traces/{trace_id}").status_code != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Jaeger does not hold trace {trace_id} after {seconds:g} s")
                time.sleep(0.5)


def report(correlate: dict[str, list[float]], pages: dict[str, list[float]], floor: dict[str, list[float]],
           body: dict, paints: list[float]) -> None:
    """Print the figures, each with its goal."""
    p50 = {name: percentile(values, 50) for name, values in correlate.items()}
    whole = ("correlate", "correlate server", "correlate own work", "in process")
    singles = sorted(((v, k) for k, v in p50.items() if k not in whole), reverse=True)
    slowest_ms, slowest = singles[0]
    print(f"{ROUNDS} rounds, each: correlate then its queries alone, the overview page then its queries alone")
    print(f"GET /api/v1/correlate?service={SERVICE}&range=1h   p50 {p50['correlate']:7.1f} ms   "
          f"p95 {percentile(correlate['correlate'], 95):7.1f} ms")
    print("  its queries, each alone, p50: " + ", ".join(f"{k} {v:.1f}" for v, k in singles[:6]) + " ms ...")
    print(f"  slowest single query ({slowest})   p50 {slowest_ms:7.1f} ms")
    print(f"  ratio correlate / slowest query       {p50['correlate'] / slowest_ms:7.2f}   (goal <= 1.25)")
    print(f"  the console's server time (Server-Timing)   p50 {p50['correlate server']:7.1f} ms   "
          f"(ratio to the slowest query {p50['correlate server'] / slowest_ms:.2f})")
    print(f"    of it the console's own work (Server-Timing: app less the wait on its queries)   "
          f"p50 {p50['correlate own work']:7.1f} ms")
    print(f"  the same fan-out in this process, without HTTP   p50 {p50['in process']:7.1f} ms   "
          f"(ratio to the slowest query {p50['in process'] / slowest_ms:.2f})")
    alone, together = percentile(floor["floor: slowest alone"], 50), percentile(floor["floor: at once"], 50)
    print("  this machine's floor: the report's requests that need no other's answer (trace search, RED, exemplars,"
          " top errors), sent by curl")
    print(f"    the slowest alone p50 {alone:.1f} ms, all at once (slowest transfer) p50 {together:.1f} ms   "
          f"ratio {together / alone:.2f}   (what the backends sharing the cores cost, before any console code)")
    failed = [f"{s['key']}: {s['error']}" for s in body["sections"] if s["error"]]
    print(f"  sections with an error in the last answer: {'; '.join(failed) or 'none'}")
    page, server = percentile(pages["page"], 50), percentile(pages["page server"], 50)
    prom = percentile(pages["prometheus"], 50)
    print(f"GET /services?range=1h (page, logged-in session)   server time p50 {server:7.1f} ms   "
          f"p95 {percentile(pages['page server'], 95):7.1f} ms")
    print(f"  its Prometheus queries alone (concurrently, as the page)   p50 {prom:7.1f} ms")
    print(f"  ratio page server time / its queries  {server / prom:7.2f}   (goal <= 1.2)")
    print(f"    of it the page's own work (Server-Timing: app less the wait on its queries)   "
          f"p50 {percentile(pages['page own work'], 50):7.1f} ms")
    print(f"  round trip seen by the client   p50 {page:7.1f} ms   p95 {percentile(pages['page'], 95):7.1f} ms   "
          f"(ratio to its queries {page / prom:.2f})")
    print(f"first contentful paint of /services?range=1h in headless Chromium: first load {paints[0]:.0f} ms, "
          f"then p50 {percentile(paints[1:], 50):.0f} ms over {len(paints) - 1} loads   (goal <= 1800 ms)")


def main() -> None:
    install()
    with private_stack() as (layout, ports):
        services_up(layout, ports, ONE_EACH)
        try:
            # the shop's own traffic first, so that the seeded hour ends now and its traces are the newest
            run_load(f"http://{HOST}:{service_port(ports, 'gateway')}", "steady", 20, LOAD_SECONDS)
            started = time.monotonic()
            done = seed(f"http://{HOST}:{ports.elasticsearch}", f"http://{HOST}:{ports.jaeger_otlp_http}/v1/traces",
                        lines=LINES, spans=SPANS, seed=6, end_ns=time.time_ns())
            wait_for_traces(f"http://{HOST}:{ports.jaeger_query}", done.sample_trace_ids)
            print(f"seeded {done.traces} traces ({done.spans} spans) and {done.lines} log lines over the last hour "
                  f"in {time.monotonic() - started:.0f} s, after {LOAD_SECONDS} s of shop traffic; Elasticsearch "
                  f"done merging {settle(f'http://{HOST}:{ports.elasticsearch}'):.0f} s later")
            backends = {kind: create(kind, f"http://{HOST}:{port}", timeout=BACKEND_TIMEOUT, **options)
                        for kind, port, options in (("prometheus", ports.prometheus, {}),
                                                    ("jaeger", ports.jaeger_query, {}),
                                                    ("elasticsearch", ports.elasticsearch,
                                                     {"index": "logs-opsconsole-*"}))}
            with running_console(layout, backend_timeout=BACKEND_TIMEOUT) as console:
                correlate, pages, floor, body = measure(console, backends, ports)
                paints = first_paints(console, "/services?range=1h", loads=PAINTS + 1)
            for backend in backends.values():
                backend.close()
        finally:
            services_down(layout)
    report(correlate, pages, floor, body, paints)


if __name__ == "__main__":
    main()
