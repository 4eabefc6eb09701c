import pytest

from collectors.logship.record import Record
from collectors.logship.sink import classify_items
from collectors.logship.tail import FileIdentity
from console.errors import BackendError

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
