import time

import pytest

from console.backends.prometheus import (
    Prometheus, escape_label_value, parse_exemplars, parse_matrix, parse_vector,
)
from console.errors import BackendError, BackendUnavailable, ConfigError


def test_it_parses_an_instant_vector(fixture_json):
    samples = parse_vector(fixture_json("prometheus/query_vector.json"))
    assert [s.labels for s in samples] == [{"route": "/products", "service": "gateway"}]
    assert samples[0].value > 0 and samples[0].time > 1.7e9


def test_it_parses_a_scalar_as_one_unlabelled_sample(fixture_json):
    [sample] = parse_vector(fixture_json("prometheus/query_scalar.json"))
    assert sample.labels == {} and sample.value == 1.0


def test_it_parses_a_range_matrix(fixture_json):
    [series] = parse_matrix(fixture_json("prometheus/query_range.json"))
    assert series.labels["job"] == "shop"
    assert all(value == 1.0 for _, value in series.points)
    assert [t for t, _ in series.points] == sorted(t for t, _ in series.points)


def test_it_parses_exemplars_with_their_trace_ids(fixture_json):
    exemplars = parse_exemplars(fixture_json("prometheus/query_exemplars.json"))
    assert exemplars
    assert {e.trace_id for e in exemplars} == {"e12ad6d5d36d8442a2cf7b4797cfb34b"}
    assert exemplars[0].series["service"] == "gateway" and exemplars[0].value == 0.042


def test_it_turns_an_error_answer_into_backend_error(fixture_json):
    with pytest.raises(BackendError, match="unclosed left parenthesis"):
        parse_vector(fixture_json("prometheus/query_bad.json"))


def test_it_refuses_a_matrix_where_a_vector_is_expected(fixture_json):
    with pytest.raises(BackendError, match="expected an instant vector"):
        parse_vector(fixture_json("prometheus/query_range.json"))


@pytest.mark.parametrize(("value", "escaped"), [
    ("gateway", "gateway"),
    ('say "hi"', 'say \\"hi\\"'),
    ("C:\\path", "C:\\\\path"),
    ("two\nlines", "two\\nlines"),
    ('\\"', '\\\\\\"'),
], ids=["plain", "quotes", "backslash", "newline", "backslash before quote"])
def test_it_escapes_label_values(value, escaped):
    assert escape_label_value(value) == escaped


@pytest.fixture
def prometheus(prometheus_url):
    backend = Prometheus(prometheus_url, timeout=2)
    yield backend
    backend.close()


@pytest.mark.parametrize("value", ['say "hi"', "C:\\path\\", "two\nlines", "}) or vector(1"])
def test_it_round_trips_escaped_values_through_prometheus(prometheus, value):
    promql = f'label_replace(vector(1), "x", "{escape_label_value(value)}", "", "")'
    [sample] = prometheus.query(promql)
    assert sample.labels["x"] == value


def test_it_reports_health_with_the_version(prometheus):
    health = prometheus.health()
    assert health.healthy and health.detail.startswith("version 2.")
    assert health.latency_ms is not None and health.latency_ms >= 0


def test_it_queries_at_a_time_and_over_a_range(prometheus):
    now = time.time()
    [sample] = prometheus.query("vector(3)", time=now - 60)
    assert sample.value == 3.0 and sample.time == pytest.approx(now - 60, abs=0.01)
    [series] = prometheus.query_range("vector(2)", now - 60, now, 15)
    assert len(series.points) == 5 and {v for _, v in series.points} == {2.0}


def test_it_queries_exemplars(prometheus):
    now = time.time()
    assert isinstance(prometheus.query_exemplars('{__name__=~".+_bucket"}', now - 300, now), list)


def test_it_raises_backend_error_on_a_bad_query(prometheus):
    with pytest.raises(BackendError) as caught:
        prometheus.query("sum(")
    assert caught.value.status == 400 and "parse error" in str(caught.value)


def test_it_raises_unavailable_on_a_closed_port(closed_port):
    backend = Prometheus(f"http://127.0.0.1:{closed_port}", timeout=2)
    with pytest.raises(BackendUnavailable):
        backend.query("up")
    health = backend.health()
    backend.close()
    assert not health.healthy and health.latency_ms is None and "127.0.0.1" in health.detail


def test_it_refuses_a_url_that_is_not_http():
    with pytest.raises(ConfigError, match="PROMETHEUS_URL"):
        Prometheus("tcp://127.0.0.1:9090", timeout=2)
