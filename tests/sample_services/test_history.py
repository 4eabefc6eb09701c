"""The shop's backfilled history: pure generation, then loaded by the real Prometheus and backtested against."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from console.backends.prometheus import Prometheus
from console.errors import UsageProblem
from console.rules.backtest import backtest
from console.rules.model import Rule
from sample_services.backfill import backfill, check_window, daily_incidents
from sample_services.history import Incident, latency_cdf, load_at, openmetrics

DAY = datetime(2026, 11, 18, tzinfo=timezone.utc)  # a Wednesday
INCIDENT = Incident("payments", DAY.replace(hour=10), 20, error_ratio=0.3)


def samples(lines: list[str], series: str) -> list[tuple[int, float]]:
    """(time, value) of the lines of one series, given as its name plus a fragment of its labels."""
    name, fragment = series.split("|")
    return [(int(parts[-1]), float(parts[-2])) for line in lines if line.startswith(name + "{") and fragment in line
            for parts in [line.rsplit(" ", 2)]]


def test_it_writes_the_same_bytes_for_the_same_arguments():
    first = list(openmetrics(DAY, DAY + timedelta(hours=1), incidents=(INCIDENT,), seed=7))
    assert first == list(openmetrics(DAY, DAY + timedelta(hours=1), incidents=(INCIDENT,), seed=7))
    assert first != list(openmetrics(DAY, DAY + timedelta(hours=1), incidents=(INCIDENT,), seed=8))
    assert first[-1] == "# EOF"


def test_it_keeps_every_counter_and_bucket_rising():
    lines = list(openmetrics(DAY, DAY + timedelta(hours=2), step_s=60, incidents=(INCIDENT,)))
    for series in ('http_requests_total|service="payments",route="/payments/authorize",method="POST",status="500"',
                   'http_request_duration_seconds_bucket|service="payments",route="/payments/authorize",method="POST",le="0.05"'):
        values = [v for _, v in samples(lines, series)]
        assert values and all(a <= b for a, b in zip(values, values[1:]))
    # within one point, the buckets grow with le and end at the count
    stamp = lines[-2].rsplit(" ", 1)[1]
    point = [float(line.rsplit(" ", 2)[1]) for line in lines if "payments" in line and "_bucket" in line
             and line.endswith(" " + stamp)]
    assert point == sorted(point) and point[-1] == samples(lines, "http_request_duration_seconds_count|payments")[-1][1]


def test_it_fails_the_incidents_share_of_requests_only_during_the_incident():
    lines = list(openmetrics(DAY.replace(hour=9), DAY.replace(hour=11), step_s=60, incidents=(INCIDENT,)))
    failed = dict(samples(lines, 'http_requests_total|service="payments",route="/payments/authorize",method="POST",status="500"'))
    ok = dict(samples(lines, 'http_requests_total|service="payments",route="/payments/authorize",method="POST",status="200"'))
    t = int(DAY.replace(hour=10).timestamp())

    def ratio(a: int, b: int) -> float:
        return (failed[b] - failed[a]) / ((failed[b] - failed[a]) + (ok[b] - ok[a]))

    assert ratio(t, t + 1200) == pytest.approx(0.3, abs=0.01)
    assert ratio(t - 3000, t - 600) < 0.01


def test_it_follows_a_daily_wave_quieter_at_weekends():
    peak, trough = load_at(DAY.replace(hour=14), 20), load_at(DAY.replace(hour=2), 20)
    assert peak == pytest.approx(20) and trough == pytest.approx(2)
    assert load_at(DAY.replace(day=21, hour=14), 20) == pytest.approx(14)  # a Saturday


def test_it_puts_half_the_requests_under_the_median():
    assert latency_cdf(0.012, 0.012) == pytest.approx(0.5)
    assert latency_cdf(0.005, 0.012) < 0.5 < latency_cdf(0.025, 0.012)


def test_it_places_incidents_at_known_times_within_the_window():
    incidents = daily_incidents(DAY.replace(hour=12), DAY + timedelta(days=2))
    assert [(i.service, i.start.isoformat()) for i in incidents] == [
        ("gateway", "2026-11-18T16:00:00+00:00"), ("payments", "2026-11-19T10:00:00+00:00"),
        ("gateway", "2026-11-19T16:00:00+00:00")]


@pytest.mark.parametrize("start, end, message", [
    (DAY, DAY, "must end after it starts"),
    (DAY, DAY + timedelta(hours=23), "at least 3 h ago"),
], ids=["empty", "into the head block"])
def test_it_refuses_a_window_prometheus_cannot_take(start, end, message):
    with pytest.raises(UsageProblem, match=message):
        check_window(start, end, now=DAY + timedelta(days=1))


@pytest.mark.stack
def test_it_loads_into_prometheus_and_a_backtest_finds_the_incident(stack):
    # four days back: far behind the head block and every other test's windows
    start = (datetime.now(timezone.utc) - timedelta(days=4)).replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(hours=6)
    incident = Incident("payments", start + timedelta(hours=3), 20, error_ratio=0.3)
    assert backfill(stack.layout, stack.ports, start, end, step_s=60, incidents=(incident,)) >= 1
    rule = Rule(group="history", alert="PaymentsFailing", **{"for": "2m"}, expr=(
        'sum(rate(http_requests_total{history="backfill",service="payments",status=~"5.."}[5m]))'
        ' / sum(rate(http_requests_total{history="backfill",service="payments"}[5m])) > 0.1'))
    prometheus = Prometheus(stack.prometheus_url, timeout=30)
    try:
        result = backtest(rule, prometheus, start=start.timestamp(), end=end.timestamp(), step=60)
    finally:
        prometheus.close()
    [fired] = result.fired
    began, ended = incident.start.timestamp(), (incident.start + timedelta(minutes=incident.minutes)).timestamp()
    # pending once the 5 m rate crosses 10 % (within a minute or two), firing 2 m later; resolved within 5 m after
    assert began < fired.fired_at <= began + 5 * 60
    assert ended < fired.resolved_at <= ended + 6 * 60
    assert result.series == 1
