"""Pure parsing of one log event: ECS JSON into a document; anything else kept as its text.

Nothing is dropped: a line that is not a JSON object (plain text, a joined stack trace, cut
JSON, invalid UTF-8) becomes a text document whose ``tags`` say why.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import orjson

__all__ = ["INVALID_UTF8_TAG", "MALFORMED_TAG", "TRUNCATED_TAG", "encode_document", "format_timestamp", "parse_line",
           "text_document"]

MALFORMED_TAG = "logship_malformed"  # not a JSON object: kept as text
INVALID_UTF8_TAG = "logship_invalid_utf8"  # bytes that are not UTF-8 became U+FFFD
TRUNCATED_TAG = "logship_truncated"  # longer than max_line_bytes: only its start is kept


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, the form ECS loggers write."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _reject_constant(name: str) -> None:
    # NaN and Infinity are not JSON: Elasticsearch would refuse the whole bulk request.
    raise ValueError(f"not JSON: {name}")


def _decode(raw: bytes, *, truncated: bool) -> str | None:
    # A cut line may end inside a multi-byte character: that is the cut, not invalid UTF-8.
    for cut in range(4 if truncated else 1):
        try:
            return raw[: len(raw) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return None


def encode_document(doc: dict) -> bytes:
    """The document as compact JSON bytes; anything orjson refuses goes through the standard library."""
    try:
        return orjson.dumps(doc)
    except TypeError:
        # A lone surrogate (from a \\ud800 escape), an integer past 64 bits or nesting past orjson's
        # limit: ASCII escapes keep the surrogate encodable, and Python ints have no bound.
        try:
            return json.dumps(doc, separators=(",", ":")).encode()
        except RecursionError as e:
            raise ValueError("document nested too deeply to encode") from e


def parse_line(raw: bytes, now: datetime, *, truncated: bool = False) -> tuple[dict, bool]:
    """``(document, malformed)`` for one line; a line that is not a JSON object is kept, not dropped."""
    if not truncated:
        # The fast path for the common line, straight from bytes (orjson checks UTF-8 and refuses
        # NaN and Infinity as Elasticsearch would). What it refuses takes the slow path below, which
        # accepts what it always did (a lone surrogate escape). One difference: orjson reads an
        # integer past 64 bits as a float, where the standard library kept every digit.
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError:
            doc = None
        if isinstance(doc, dict):
            if "@timestamp" not in doc:
                doc["@timestamp"] = format_timestamp(now)
            return doc, False
    text = _decode(raw, truncated=truncated)
    doc = None
    if text is not None and not truncated:
        try:
            doc = json.loads(text, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            doc = None
    if isinstance(doc, dict):
        doc.setdefault("@timestamp", format_timestamp(now))
        return doc, False
    return text_document(raw, now, text=text, truncated=truncated), True


def text_document(raw: bytes, now: datetime, *, text: str | None = None, truncated: bool = False) -> dict:
    """The document that keeps a line that is not a JSON object as its text, tagged with why."""
    tags = [MALFORMED_TAG]
    if text is None:
        text = _decode(raw, truncated=truncated)
    if text is None:
        tags.append(INVALID_UTF8_TAG)
        # Kept as text; invalid UTF-8 becomes U+FFFD so the document is still valid JSON.
        text = raw.decode("utf-8", errors="replace")
    if truncated:
        tags.append(TRUNCATED_TAG)
    return {
        "@timestamp": format_timestamp(now),
        "message": text.rstrip("\r"),
        "log.level": "unknown",
        "tags": tags,
    }
