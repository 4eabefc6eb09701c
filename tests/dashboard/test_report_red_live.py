"""The report's RED of both windows in one folded query, against the real Prometheus: it must answer exactly
what the fourteen separate queries answer, the earlier window through its offset."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from console.backends.prometheus import Prometheus
from console.correlate.collect import red_parts, report_red_queries
from console.correlate.fetch import Fetched
from console.correlate.red import folded, red_queries, unfolded
from console.correlate.report import assemble
from console.correlate.window import Window
from sample_services.backfill import backfill
from sample_services.history import Incident

pytestmark = pytest.mark.stack


def values(samples) -> dict[str, float]:
    return {s.labels["service"]: s.value for s in samples}


def same(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)


def test_it_answers_both_windows_as_the_separate_queries_do(stack):
    # five days back: behind the head block and apart from the other backfilled windows of the suite
    start = (datetime.now(timezone.utc) - timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    incident = Incident("payments", start + timedelta(hours=2, minutes=10), 20, error_ratio=0.3)
    backfill(stack.layout, stack.ports, start, start + timedelta(hours=3), step_s=60, incidents=(incident,))
    # a custom window with a fraction of a second: the offset must be exact to the millisecond
    window = Window(start + timedelta(hours=2, seconds=0.25), start + timedelta(hours=2, minutes=40, seconds=0.25))
    prometheus = Prometheus(stack.prometheus_url, timeout=30)
    try:
        queries = report_red_queries(window, "payments")
        parts = unfolded(prometheus.query(folded(queries), window.end), queries)
        for prefix, evaluated in (("now", window), ("before", window.previous())):
            for metric, query in red_queries(evaluated.seconds, service="payments").items():
                alone = values(prometheus.query(query, evaluated.end))
                # the history has no "up" series (a scrape writes those), so replicas is empty both ways
                assert alone or metric == "replicas", f"{prefix}:{metric}: the backfill did not reach the window"
                assert same(values(parts[f"{prefix}:{metric}"]), alone), f"{prefix}:{metric}"
    finally:
        prometheus.close()
    fetched = {**red_parts(Fetched(value=parts), queries), "errors": Fetched(value=[]),
               "exemplars": Fetched(value=[]), "traces": Fetched(value=[])}
    red = {c.metric: c for c in assemble("payments", window, fetched).section("red").items}
    # the incident began ten minutes into the window: its errors now, the history's background before
    assert 0.1 < red["error_ratio"].now < 0.3 and red["error_ratio"].before < 0.01
    assert red["rate"].now > 0 and red["rate"].before > 0
