from datetime import datetime, timezone

import pytest

from collectors.logship.enrich import enrich
from collectors.logship.parse import INVALID_UTF8_TAG, MALFORMED_TAG, TRUNCATED_TAG, encode_document, parse_line

NOW = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=timezone.utc)


def test_it_parses_an_ecs_line():
    doc, malformed = parse_line(b'{"@timestamp":"2025-01-01T00:00:00.000Z","log.level":"info","message":"ok","trace.id":"t1"}', NOW)
    assert not malformed
    assert doc == {"@timestamp": "2025-01-01T00:00:00.000Z", "log.level": "info", "message": "ok", "trace.id": "t1"}


def test_it_stamps_a_json_line_without_timestamp_with_the_ingestion_time():
    doc, malformed = parse_line(b'{"message":"no time"}', NOW)
    assert not malformed
    assert doc["@timestamp"] == "2025-03-04T05:06:07.890Z"


@pytest.mark.parametrize("raw, message, tags", [
    pytest.param(b"plain text line", "plain text line", [], id="not JSON"),
    pytest.param(b'{"message": "cut', '{"message": "cut', [], id="truncated JSON"),
    pytest.param(b"[1, 2]", "[1, 2]", [], id="JSON but not an object"),
    pytest.param(b'{"v": NaN}', '{"v": NaN}', [], id="NaN is not JSON"),
    pytest.param(b"caf\xe9 \xff", "caf\ufffd \ufffd", [INVALID_UTF8_TAG], id="invalid UTF-8"),
    pytest.param(b'{"message":"\xff"}', '{"message":"\ufffd"}', [INVALID_UTF8_TAG], id="JSON with invalid UTF-8"),
    pytest.param(b"windows line\r", "windows line", [], id="carriage return"),
    pytest.param(b"", "", [], id="empty line"),
])
def test_it_keeps_a_malformed_line_as_text_and_tags_why(raw, message, tags):
    doc, malformed = parse_line(raw, NOW)
    assert malformed
    assert doc == {"@timestamp": "2025-03-04T05:06:07.890Z", "message": message, "log.level": "unknown", "tags": [MALFORMED_TAG, *tags]}


@pytest.mark.parametrize("raw", [
    pytest.param(b'{"message":"' + b"x" * 40, id="cut JSON"),
    pytest.param(b'{"message":"' + "é".encode() * 20 + "é".encode()[:1], id="cut inside a character"),
])
def test_it_keeps_a_cut_line_as_text_tagged_truncated(raw):
    doc, malformed = parse_line(raw, NOW, truncated=True)
    assert malformed
    assert doc["tags"] == [MALFORMED_TAG, TRUNCATED_TAG]
    assert doc["message"].startswith('{"message":"')


def test_it_enriches_with_host_file_offset_and_ingestion_time():
    doc = enrich({"message": "m", "log.offset": 99}, host="h1", path="/var/log/a.log", offset=42, ingested="2025-03-04T05:06:07.890Z")
    assert doc == {
        "message": "m",
        "host.name": "h1",
        "log.file.path": "/var/log/a.log",
        "log.offset": 42,
        "event.ingested": "2025-03-04T05:06:07.890Z",
    }


@pytest.mark.parametrize("doc", [
    pytest.param({"host.name": "svc-host"}, id="dotted"),
    pytest.param({"host": {"name": "svc-host"}}, id="nested"),
])
def test_it_keeps_a_host_name_the_line_already_carries(doc):
    out = enrich(doc, host="shipper-host", path="p", offset=0, ingested="2025-03-04T05:06:07.890Z")
    assert "shipper-host" not in out.values()


def test_it_does_not_change_the_parsed_document():
    doc = {"message": "m"}
    enrich(doc, host="h", path="p", offset=1, ingested="2025-03-04T05:06:07.890Z")
    assert doc == {"message": "m"}


def test_it_parses_a_lone_surrogate_escape_and_writes_it_back_escaped():
    doc, malformed = parse_line(b'{"@timestamp":"2025-01-01T00:00:00.000Z","message":"\\ud800"}', NOW)
    assert not malformed
    assert encode_document(doc) == b'{"@timestamp":"2025-01-01T00:00:00.000Z","message":"\\ud800"}'


def test_it_keeps_a_document_nested_past_the_interpreter_limit_as_text_or_refuses_to_encode_it():
    doc, malformed = parse_line(b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}", NOW)
    if not malformed:  # the shipper keeps it as text when encoding refuses it
        with pytest.raises(ValueError):
            encode_document(doc)
