"""Pure parsing of one log event: ECS JSON into a document; anything else kept as its text.

Nothing is dropped: a line that is not a JSON object (plain text, a joined stack trace, cut
JSON, invalid UTF-8) becomes a text document whose ``tags`` say why.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

__all__ = ["INVALID_UTF8_TAG", "MALFORMED_TAG", "TRUNCATED_TAG", "format_timestamp", "parse_line"]

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


def parse_line(raw: bytes, now: datetime, *, truncated: bool = False) -> tuple[dict, bool]:
    """``(document, malformed)`` for one line; a line that is not a JSON object is kept, not dropped."""
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
    tags = [MALFORMED_TAG]
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
    }, True
