import json

import pytest

from collectors.logship.record import Record
from collectors.logship.sink import ElasticsearchSink, classify_items
from collectors.logship.tail import FileIdentity
from console.errors import BackendError
from logship_kit import SizeLimitProxy

RECORDS = [Record(FileIdentity(1, 2, "aa"), "/a.log", n, n + 1, "p-2025.01.01", f"id{n}", b"{}") for n in range(5)]


def test_it_sorts_bulk_items_into_acked_retry_and_dead():
    items = [
        {"create": {"status": 201}},
        {"create": {"status": 409, "error": {"type": "version_conflict_engine_exception"}}},  # sent before
        {"create": {"status": 429, "error": {"type": "es_rejected_execution_exception"}}},
        {"create": {"status": 503}},
        {"create": {"status": 400, "error": {"type": "document_parsing_exception", "reason": "failed to parse field [x]"}}},
    ]
    result = classify_items(RECORDS, items)
    assert result.acked == RECORDS[:2]
    assert result.retry == RECORDS[2:4]
    assert result.dead == [(RECORDS[4], "400 document_parsing_exception: failed to parse field [x]")]


def test_it_refuses_a_response_that_does_not_match_the_request():
    with pytest.raises(BackendError, match="2 items for 5 documents"):
        classify_items(RECORDS, [{"create": {"status": 201}}] * 2)


@pytest.mark.stack
def test_it_halves_a_body_over_the_servers_limit_and_gives_up_only_on_a_record_too_large_alone(
        es, index_prefix, elasticsearch_url):
    proxy = SizeLimitProxy(elasticsearch_url, limit=2_000)
    index = f"{index_prefix}-2026.12.01"

    def record(n: int, message: str) -> Record:
        doc = {"@timestamp": "2026-12-01T00:00:00Z", "message": message, "n": n}
        return Record(FileIdentity(1, 2, "aa"), "/a.log", n * 1000, n * 1000 + 999, index, f"doc{n}",
                      json.dumps(doc).encode())

    small = [record(n, "x" * 300) for n in range(12)]  # about 4.6 kB together: over the limit, each far under
    oversize = record(99, "y" * 3_000)
    sink = ElasticsearchSink(proxy.url)
    try:
        result = sink.export(small + [oversize])
    finally:
        sink.close()
        proxy.close()
    assert result.acked == small and result.retry == []
    assert [(r, why.split(":")[0]) for r, why in result.dead] == [(oversize, "413 request too large")]
    assert proxy.refused >= 3  # the whole body, at least one half, and the oversize record alone
    es.indices.refresh(index=index)
    assert es.count(index=index)["count"] == 12
