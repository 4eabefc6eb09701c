"""The report's log lines against the real Elasticsearch: every trace it names gets its share of lines, and a
failed one its error lines, however much the others logged."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from elasticsearch import Elasticsearch

from collectors.logship.template import install_template
from console.backends.elasticsearch import ElasticsearchLogs

pytestmark = pytest.mark.stack

START = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=10)


def lines(trace_id: str, count: int, *, errors_from: int | None = None) -> list[dict]:
    """``count`` lines of one trace a millisecond apart, the ones from ``errors_from`` on at level error."""
    return [{"@timestamp": (START + timedelta(milliseconds=n)).isoformat().replace("+00:00", "Z"),
             "log.level": "error" if errors_from is not None and n >= errors_from else "info",
             "message": f"{trace_id[:4]} line {n}", "service.name": "shop", "trace.id": trace_id}
            for n in range(count)]


@pytest.fixture(scope="module")
def traces(elasticsearch_url):
    """A chatty trace that failed at its end, a short one, and a chatty one nobody asks for, indexed and refreshed."""
    prefix = f"logs-lines{uuid.uuid4().hex[:8]}"
    chatty, short, other = (uuid.uuid4().hex for _ in range(3))
    docs = [*lines(chatty, 60, errors_from=55), *lines(short, 4), *lines(other, 300, errors_from=0)]
    action = {"index": {"_index": f"{prefix}-{START:%Y.%m.%d}"}}
    with Elasticsearch(elasticsearch_url) as es:
        install_template(es, prefix)
        answer = es.bulk(operations=[part for doc in docs for part in (action, doc)], refresh=True)
        assert not answer["errors"], answer
    logs = ElasticsearchLogs(elasticsearch_url, timeout=10, index=f"{prefix}-*")
    yield logs, chatty, short, other
    logs.close()


def test_it_gives_each_trace_its_first_lines_and_its_errors(traces):
    logs, chatty, short, other = traces
    found = logs.lines_of_traces([chatty, short, uuid.uuid4().hex], start=START - timedelta(minutes=1),
                                 end=START + timedelta(minutes=1), first=10, errors=3)
    assert [line.message for line in found if line.trace_id == chatty] == [
        *(f"{chatty[:4]} line {n}" for n in range(10)), *(f"{chatty[:4]} line {n}" for n in (55, 56, 57))]
    assert [line.message for line in found if line.trace_id == short] == [f"{short[:4]} line {n}" for n in range(4)]
    assert other not in {line.trace_id for line in found}
    assert [(line.timestamp, line.id) for line in found] == sorted((line.timestamp, line.id) for line in found)


def test_it_shows_an_error_line_once_when_it_is_also_among_the_first(traces):
    logs, _, _, other = traces
    found = logs.lines_of_traces([other], start=START - timedelta(minutes=1), end=START + timedelta(minutes=1),
                                 first=5, errors=8)
    assert [line.message for line in found] == [f"{other[:4]} line {n}" for n in range(8)]
    assert len({line.id for line in found}) == len(found)


def test_it_keeps_to_the_window(traces):
    logs, chatty, _, _ = traces
    assert logs.lines_of_traces([chatty], start=START + timedelta(minutes=1), end=START + timedelta(minutes=2)) == []
    assert logs.lines_of_traces([], start=START, end=START + timedelta(minutes=1)) == []
