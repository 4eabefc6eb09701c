"""Lines Elasticsearch may not take as they are: each is stored or dead-lettered with a reason, and the rest goes on.

One shipper run over one file holding every awkward line between ordinary ones; a test per case.
"""
from __future__ import annotations

import json
import uuid

import pytest
import yaml
from elasticsearch import Elasticsearch

from collectors.logship.config import load_config
from collectors.logship.metrics import Metrics
from collectors.logship.parse import INVALID_UTF8_TAG, MALFORMED_TAG, TRUNCATED_TAG
from collectors.logship.shipper import Shipper
from logship_kit import checkpoint_offsets, documents, ecs_line, sizes

pytestmark = pytest.mark.stack

MiB = 1 << 20


def ecs(message: str, **fields) -> bytes:
    return json.dumps({"@timestamp": "2025-01-02T00:00:00.000Z", "log.level": "info", "message": message, **fields}).encode() + b"\n"


CASES = {
    "under the line limit": ecs("big " + "b" * (MiB - 200)),
    "over the line limit": ecs("huge " + "h" * (2 * MiB)),
    "invalid UTF-8": b"caf\xe9 au lait \xff\n",
    "not JSON": b"plain text from some library\n",
    "type conflict": ecs("teapot status", **{"http.response.status_code": "teapot"}),
    "immense keyword": ecs("immense id", **{"trace.id": "t" * 40_000}),
    "stack trace": b"ERROR checkout failed\nTraceback (most recent call last):\n  File \"shop.py\", line 3, in pay\nValueError: card declined\n",
}


@pytest.fixture(scope="module")
def run(tmp_path_factory, elasticsearch_url):
    """Ship the file once; yields the documents, the dead letters, the metrics and the paths."""
    tmp = tmp_path_factory.mktemp("awkward")
    prefix = f"logs-opsconsole-test{uuid.uuid4().hex[:12]}"
    (tmp / "logs").mkdir()
    log = tmp / "logs" / "app.log"
    offsets = {}
    with open(log, "wb") as f:
        for n, (case, raw) in enumerate(CASES.items()):
            f.write(ecs_line("gateway", 2 * n))
            offsets[case] = f.tell()
            f.write(raw)
            f.write(ecs_line("gateway", 2 * n + 1))
    (tmp / "logship.yml").write_text(yaml.safe_dump({
        "paths": [str(log)], "elasticsearch": {"url": elasticsearch_url}, "index_prefix": prefix,
        "checkpoint_dir": "cp", "dead_letter_path": "dead.ndjson", "metrics": {"listen": "127.0.0.1:0"},
        "multiline": {"pattern": r"^\s|^Traceback|^\w+Error\b", "flush_seconds": 0.2},
    }))
    metrics = Metrics()
    Shipper(load_config(tmp / "logship.yml"), metrics=metrics).run(once=True)
    es = Elasticsearch(elasticsearch_url, request_timeout=60)
    try:
        docs = {d["log.offset"]: d for d in documents(es, prefix, ["log.offset", "message", "tags", "trace.id"])}
        dead = {json.loads(x)["log.offset"]: json.loads(x) for x in (tmp / "dead.ndjson").read_text().splitlines()}
        yield {"docs": docs, "dead": dead, "offsets": offsets, "metrics": metrics, "tmp": tmp}
    finally:
        names = list(es.indices.get(index=f"{prefix}-*", expand_wildcards="all").body)
        if names:
            es.indices.delete(index=",".join(names))
        es.close()


def stored(run, case: str) -> dict:
    return run["docs"][run["offsets"][case]]


def test_it_ships_every_ordinary_line_around_the_awkward_ones(run):
    ordinary = [d for d in run["docs"].values() if d["message"].startswith("request ")]
    assert len(ordinary) == 2 * len(CASES)
    assert checkpoint_offsets(run["tmp"] / "cp") == sizes(run["tmp"] / "logs")


def test_it_stores_a_line_just_under_the_limit_whole(run):
    doc = stored(run, "under the line limit")
    assert len(doc["message"]) == MiB - 200 + 4 and "tags" not in doc


def test_it_stores_the_start_of_a_line_over_the_limit_tagged_truncated(run):
    doc = stored(run, "over the line limit")
    assert doc["tags"] == [MALFORMED_TAG, TRUNCATED_TAG]
    assert len(doc["message"].encode()) == MiB and doc["message"].startswith('{"@timestamp"')


def test_it_stores_invalid_utf8_with_replacement_characters_and_a_tag(run):
    doc = stored(run, "invalid UTF-8")
    assert doc["message"] == "caf\ufffd au lait \ufffd"
    assert doc["tags"] == [MALFORMED_TAG, INVALID_UTF8_TAG]


def test_it_stores_a_non_json_line_as_text(run):
    doc = stored(run, "not JSON")
    assert (doc["message"], doc["tags"]) == ("plain text from some library", [MALFORMED_TAG])


@pytest.mark.parametrize("case, reason", [
    pytest.param("type conflict", "failed to parse field [http.response.status_code] of type [long]", id="type conflict"),
    pytest.param("immense keyword", "failed to parse field [trace.id] of type [keyword]", id="keyword over 32 KiB"),
])
def test_it_dead_letters_what_elasticsearch_refuses_with_the_reason(run, case, reason):
    offset = run["offsets"][case]
    assert offset not in run["docs"]
    letter = run["dead"][offset]
    assert reason in letter["reason"] and letter["reason"].startswith("400 ")
    assert json.loads(letter["document"])["message"] == json.loads(CASES[case])["message"]


def test_it_counts_the_dead_letters(run):
    assert run["metrics"].registry.get_sample_value("logship_lines_dead_lettered_total") == len(run["dead"]) == 2


def test_it_joins_a_stack_trace_into_one_event(run):
    doc = stored(run, "stack trace")
    assert doc["message"] == CASES["stack trace"].decode().rstrip("\n")
