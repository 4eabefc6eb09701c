import uuid
from datetime import datetime, timedelta, timezone

import pytest
from elasticsearch import Elasticsearch

from console.backends.elasticsearch import ElasticsearchLogs, ecs_field, logs_query, parse_hits
from console.errors import BackendUnavailable, ConfigError

TRACE = "e12ad6d5d36d8442a2cf7b4797cfb34b"


def test_it_parses_hits_in_dotted_and_nested_form(fixture_json):
    nested, dotted = parse_hits(fixture_json("elasticsearch/search_logs.json"))
    assert (nested.service, nested.node, nested.level) == ("payments", "payments-1", "error")
    assert (dotted.service, dotted.node, dotted.level) == ("gateway", "gateway-2", "info")
    assert nested.trace_id == dotted.trace_id == TRACE
    assert nested.span_id == "bba1b638a63d2189"
    assert nested.timestamp == datetime(2026, 11, 25, 9, 4, 7, 255000, tzinfo=timezone.utc)
    assert nested.source["error"]["type"] == "ValueError"


@pytest.mark.parametrize(("source", "value"), [
    ({"trace.id": "a"}, "a"),
    ({"trace": {"id": "b"}}, "b"),
    ({"trace": "flat"}, None),
    ({}, None),
], ids=["dotted", "nested", "not an object", "absent"])
def test_it_reads_ecs_fields_either_way(source, value):
    assert ecs_field(source, "trace.id") == value


def test_it_builds_a_filter_only_query():
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    query = logs_query(trace_id=TRACE, service="gateway", start=start)
    assert query == {"bool": {"must": [], "filter": [
        {"term": {"trace.id": TRACE}},
        {"term": {"service.name": "gateway"}},
        {"range": {"@timestamp": {"gte": "2026-01-01T00:00:00+00:00"}}},
    ]}}


@pytest.fixture
def logs_index(elasticsearch_url):
    """A throwaway index holding three log lines, deleted afterwards."""
    name = f"logs-opsconsole-test-{uuid.uuid4().hex[:8]}"
    es = Elasticsearch(elasticsearch_url)
    es.indices.create(index=name, mappings={"properties": {
        "@timestamp": {"type": "date"},
        "trace.id": {"type": "keyword"}, "span.id": {"type": "keyword"},
        "service.name": {"type": "keyword"}, "log.level": {"type": "keyword"},
    }})
    now = datetime.now(timezone.utc)
    lines = [
        {"@timestamp": (now - timedelta(minutes=3)).isoformat(), "log.level": "info", "message": "order created",
         "service.name": "orders", "trace.id": TRACE},
        {"@timestamp": (now - timedelta(minutes=2)).isoformat(), "log.level": "error", "message": "payment declined",
         "service": {"name": "payments"}, "trace": {"id": TRACE}},
        {"@timestamp": (now - timedelta(minutes=30)).isoformat(), "log.level": "info", "message": "cache warm",
         "service.name": "catalog", "trace.id": "0" * 32},
    ]
    for i, line in enumerate(lines):
        es.index(index=name, id=str(i), document=line)
    es.indices.refresh(index=name)
    yield name, now
    es.indices.delete(index=name)
    es.close()


@pytest.fixture
def logs(elasticsearch_url, logs_index):
    backend = ElasticsearchLogs(elasticsearch_url, timeout=2, index=logs_index[0])
    yield backend
    backend.close()


def test_it_finds_lines_by_trace_id_oldest_first(logs):
    lines = logs.search_logs(trace_id=TRACE, oldest_first=True)
    assert [(line.service, line.message) for line in lines] == [
        ("orders", "order created"), ("payments", "payment declined")]


def test_it_filters_by_service_level_time_and_text(logs, logs_index):
    now = logs_index[1]
    assert [line.message for line in logs.search_logs(service="payments")] == ["payment declined"]
    assert [line.message for line in logs.search_logs(level="error")] == ["payment declined"]
    recent = logs.search_logs(start=now - timedelta(minutes=10), end=now)
    assert [line.message for line in recent] == ["payment declined", "order created"]
    assert [line.service for line in logs.search_logs(text="cache")] == ["catalog"]
    assert len(logs.search_logs(limit=1)) == 1


def test_it_finds_nothing_when_no_index_matches(elasticsearch_url):
    backend = ElasticsearchLogs(elasticsearch_url, timeout=2, index=f"logs-absent-{uuid.uuid4().hex}-*")
    assert backend.search_logs(trace_id=TRACE) == []
    backend.close()


def test_it_reports_cluster_health(elasticsearch_url):
    backend = ElasticsearchLogs(elasticsearch_url, timeout=2)
    health = backend.health()
    backend.close()
    assert health.healthy and health.detail.startswith("cluster ")


def test_it_raises_unavailable_on_a_closed_port(closed_port):
    backend = ElasticsearchLogs(f"http://127.0.0.1:{closed_port}", timeout=2)
    with pytest.raises(BackendUnavailable, match="elasticsearch"):
        backend.search_logs(service="gateway")
    assert not backend.health().healthy
    backend.close()


def test_it_refuses_a_url_that_is_not_http():
    with pytest.raises(ConfigError, match="ELASTICSEARCH_URL"):
        ElasticsearchLogs("es:9200", timeout=2)
