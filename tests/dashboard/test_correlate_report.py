"""The "what happened" report, assembled from captured answers; a failed query costs only its section."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from console.backends.elasticsearch import parse_histogram, parse_top_errors
from console.backends.jaeger import parse_traces
from console.backends.prometheus import parse_exemplars, parse_vector
from console.correlate.fetch import Fetched
from console.correlate.report import Change, History, IncidentRef, RuleChange, ScaleAction, assemble
from console.correlate.window import Window

WINDOW = Window(datetime(2026, 11, 25, 9, 31, 0, 732882, tzinfo=timezone.utc),
                datetime(2026, 11, 25, 9, 46, 0, 732882, tzinfo=timezone.utc), "15m")


@pytest.fixture
def fetched(fixture_json) -> dict[str, Fetched]:
    """Every first-round outcome of ``what_happened`` for payments, from the captured answers."""
    outcomes = {}
    for prefix, name in (("now", "red_payments_now"), ("before", "red_payments_before")):
        for key, body in fixture_json(f"prometheus/{name}.json").items():
            outcomes[f"{prefix}:{key}"] = Fetched(value=parse_vector(body))
    outcomes["errors"] = Fetched(value=parse_top_errors(fixture_json("elasticsearch/top_errors_payments.json")))
    outcomes["exemplars"] = Fetched(value=parse_exemplars(fixture_json("prometheus/exemplars_payments.json")))
    outcomes["traces"] = Fetched(value=parse_traces(fixture_json("jaeger/search_payments.json")))
    return outcomes


def test_it_assembles_every_section_from_captured_answers(fetched):
    report = assemble("payments", WINDOW, fetched, limit=3)
    assert [s.key for s in report.sections] == ["red", "errors", "exemplars", "slowest", "failing", "logs",
                                                "incidents", "rule_changes", "scale_actions"]
    red = {c.metric: c for c in report.section("red").items}
    assert red["error_ratio"].now == pytest.approx(0.3173152747255916)
    # the stack was younger than the window: nothing before it
    assert red["error_ratio"].before is None and red["error_ratio"].delta is None
    top = report.section("errors").items[0]
    assert (top.message, top.count) == ("injected fault on payments", 66)
    assert top.sample.service == "payments" and top.sample.trace_id
    exemplars = report.section("exemplars").items
    assert [e.trace_id for e in exemplars] == ["93cf1d7fa9f9c4e648252e48690643ac", "9e836fce450fe4e5a5871f9de78e1f66",
                                               "94596e2db5d619002ea725cf97ea8733"]
    assert exemplars[0].route == "/payments/authorize" and exemplars[0].seconds == pytest.approx(0.008966916000190395)
    assert [t.trace_id for t in report.section("failing").items] == ["8705ba8e4406efb28d4a3e0f46b205dd"]
    assert report.trace_ids()[:4] == [e.trace_id for e in exemplars] + ["8705ba8e4406efb28d4a3e0f46b205dd"]
    assert report.section("logs").note == "No traces to look up."


AT = datetime(2026, 11, 25, 9, 40, tzinfo=timezone.utc)
HISTORY = History(
    [RuleChange(AT, 7, "shop", "PaymentsFailing", 2, "changed", "alice", "lower the threshold")],
    [ScaleAction(AT, "payments", "scaling-loop", "auto", 1, 3, "rate 31/s against 10/s per replica", "applied")],
    [IncidentRef(4, "acknowledged", "page", "payments fails a third of its requests", AT, None)])


def test_it_lists_the_rule_changes_and_scale_actions_it_is_given(fetched):
    report = assemble("payments", WINDOW, fetched, history=Fetched(value=HISTORY))
    assert report.section("rule_changes").items == HISTORY.rule_changes
    assert report.section("scale_actions").items == HISTORY.scale_actions
    assert report.section("incidents").items == HISTORY.incidents
    assert report.section("scale_actions").note is None


def test_it_says_when_nothing_was_changed_in_the_window(fetched):
    report = assemble("payments", WINDOW, fetched, history=Fetched(value=History([], [])))
    assert report.section("rule_changes").note == "No alert rule was created, changed or deleted in this window."
    assert report.section("scale_actions").note == "No scale action was recorded for payments in this window."
    assert report.section("incidents").note == "No incident of payments was open in this window."


def test_it_keeps_the_backend_sections_when_the_store_cannot_be_read(fetched):
    report = assemble("payments", WINDOW, fetched, history=Fetched(error="the console's database: OperationalError"))
    assert report.section("rule_changes").error == report.section("scale_actions").error == \
        report.section("incidents").error == "the console's database: OperationalError"
    assert report.section("failing").items


@pytest.mark.parametrize("failed, section", [
    ("errors", "errors"), ("exemplars", "exemplars"), ("traces", "slowest"), ("traces", "failing"),
    ("now:p99", "red"), ("before:rate", "red"),
], ids=["elasticsearch down", "exemplars refused", "jaeger down (slowest)", "jaeger down (failing)",
        "prometheus now", "prometheus before"])
def test_it_keeps_a_failed_query_to_its_own_section(fetched, failed, section):
    fetched[failed] = Fetched(error="backend: connection refused")
    report = assemble("payments", WINDOW, fetched)
    assert report.section(section).error == "backend: connection refused"
    others = [s for s in report.sections if s.key not in (section, "slowest", "failing", "red")]
    assert all(s.error is None for s in others)


def test_it_compares_now_with_before():
    assert Change("rate", 3.0, 1.0).delta == 2.0


def test_it_reads_a_captured_histogram_oldest_first(fixture_json):
    buckets = parse_histogram(fixture_json("elasticsearch/histogram_payments.json"))
    assert buckets[0] == (datetime(2026, 11, 25, 9, 31, tzinfo=timezone.utc), 0)
    assert [t for t, _ in buckets] == sorted(t for t, _ in buckets) and sum(n for _, n in buckets) > 0
