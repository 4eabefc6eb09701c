"""RED per service: the PromQL we send, and the rows assembled from Prometheus' answers (captured from the shop)."""
from __future__ import annotations

import pytest

from console.backends.prometheus import Sample, parse_vector
from console.correlate.fetch import Fetched
from console.correlate.red import (Red, assemble_red, chart_queries, folded, red_queries, red_rows, unfolded,
                                  worst_first)


def test_it_escapes_the_service_in_every_query():
    queries = red_queries(900, service='pay"ments\\')
    assert all('service="pay\\"ments\\\\"' in q for q in queries.values())
    assert queries["rate"] == 'sum by (service) (rate(http_requests_total{service="pay\\"ments\\\\"}[900s]))'


def test_it_builds_the_queries_of_every_figure():
    queries = red_queries(3600)
    assert set(queries) == {"rate", "error_ratio", "own_error_ratio", "p50", "p95", "p99", "replicas"}
    assert queries["p99"] == ("histogram_quantile(0.99, sum by (service, le) "
                              "(rate(http_request_duration_seconds_bucket{}[3600s])))")
    assert 'status=~"5..",status!~"50[234]"' in queries["own_error_ratio"]
    assert queries["replicas"] == 'count by (service) (up{job="shop"})'


def test_it_groups_by_route_without_replicas_and_refuses_other_labels():
    assert "replicas" not in red_queries(60, service="gateway", by="route")
    with pytest.raises(ValueError, match="cannot group"):
        red_queries(60, by="le) or vector(1")


def test_it_uses_a_rate_window_of_at_least_four_steps_in_charts():
    assert "[30s]" in chart_queries("payments", step_s=2)["rate"]
    assert "[2880s]" in chart_queries("payments", step_s=720)["p95"]


def test_it_assembles_one_row_per_service_from_captured_answers(fixture_json):
    answers = {key: parse_vector(body) for key, body in fixture_json("prometheus/red_by_service.json").items()}
    rows = {row.name: row for row in assemble_red(answers)}
    assert sorted(rows) == ["catalog", "gateway", "inventory", "orders", "payments"]
    payments = rows["payments"]
    assert payments.rate == pytest.approx(0.2322599836601308)
    assert payments.error_ratio == payments.own_error_ratio == pytest.approx(0.3173152747255916)
    assert payments.p99 == pytest.approx(0.008266708085592066)
    assert (payments.replicas, rows["gateway"].replicas) == (1, 2)
    # orders fails only because payments does: all its errors are 502s
    assert rows["orders"].error_ratio == pytest.approx(0.33131100102834293) and rows["orders"].own_error_ratio == 0


def test_it_ranks_the_failing_service_above_the_callers_it_takes_down(fixture_json):
    answers = {key: parse_vector(body) for key, body in fixture_json("prometheus/red_by_service.json").items()}
    assert [row.name for row in worst_first(assemble_red(answers))] == [
        "payments", "orders", "gateway", "inventory", "catalog"]


@pytest.mark.parametrize("rows, order", [
    ([Red("a", 1, 0.1, 0.0, 0.01, 0.02, 0.5), Red("b", 1, 0.05, 0.05, 0.01, 0.02, 0.03)], ["b", "a"]),
    ([Red("a", 1, 0.0, 0.0, 0.01, 0.02, 0.5), Red("b", 1, 0.0, 0.0, 0.01, 0.02, 0.9)], ["b", "a"]),
    ([Red("b", None, None, None, None, None, None), Red("a", None, None, None, None, None, None)], ["a", "b"]),
], ids=["own errors beat propagated ones", "then p99", "no traffic: by name"])
def test_it_orders_worst_first(rows, order):
    assert [r.name for r in worst_first(rows)] == order


def test_it_shows_no_figure_for_no_traffic():
    nan = Sample({"service": "idle"}, 0.0, float("nan"))
    inf = Sample({"service": "idle"}, 0.0, float("inf"))
    assert assemble_red({"error_ratio": [nan], "p99": [inf], "rate": [Sample({"service": "idle"}, 0.0, 0.0)]}) == [
        Red("idle", 0.0, None, None, None, None, None)]


def test_it_passes_on_the_first_failed_query():
    fetched = {"now:rate": Fetched(value=[]), "now:p99": Fetched(error="prometheus: timed out")}
    assert red_rows(fetched) == ([], "prometheus: timed out")


def test_it_looks_back_by_an_offset_in_every_selector():
    queries = red_queries(3600, service="payments", offset_ms=3_600_000)
    assert queries["rate"] == ('sum by (service) (rate(http_requests_total{service="payments"}[3600s] '
                               'offset 3600000ms))')
    assert queries["replicas"] == 'count by (service) (up{service="payments",job="shop"} offset 3600000ms)'
    assert all(q.count("offset 3600000ms") == q.count("s]") for k, q in queries.items() if k != "replicas")
    with pytest.raises(ValueError, match="looks ahead"):
        red_queries(60, offset_ms=-1)


def test_it_folds_named_queries_into_one_and_splits_the_answer_back():
    query = folded({"now:rate": "a", "before:rate": "b"})
    assert query == ('label_replace(a, "red_part", "now:rate", "", "") or '
                     'label_replace(b, "red_part", "before:rate", "", "")')
    answer = [Sample({"service": "payments", "red_part": "before:rate"}, 1.0, 2.0),
              Sample({"service": "payments", "red_part": "now:rate"}, 1.0, 3.0)]
    assert unfolded(answer, ["now:rate", "before:rate", "now:p99"]) == {
        "now:rate": [Sample({"service": "payments"}, 1.0, 3.0)],
        "before:rate": [Sample({"service": "payments"}, 1.0, 2.0)],
        "now:p99": []}


@pytest.mark.parametrize("name", ['rate", "x', "", "Rate"])
def test_it_folds_only_fixed_part_names(name):
    with pytest.raises(ValueError, match="not a part name"):
        folded({name: "a"})
