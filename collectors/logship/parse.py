"""Pure parsing of one log line: ECS JSON into a document; anything else kept as its text."""
from __future__ import annotations

import json
from datetime import datetime, timezone

__all__ = ["MALFORMED_TAG", "parse_line", "format_timestamp"]

MALFORMED_TAG = "logship_malformed"


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, the form ECS loggers write."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _reject_constant(name: str) -> None:
    # NaN and Infinity are not JSON: Elasticsearch would refuse the whole bulk request.
    raise ValueError(f"not JSON: {name}")


def parse_line(raw: bytes, now: datetime) -> tuple[dict, bool]:
    """``(document, malformed)`` for one line; a line that is not a JSON object is kept, not dropped."""
    try:
        doc = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError too
        doc = None
    if isinstance(doc, dict):
        doc.setdefault("@timestamp", format_timestamp(now))
        return doc, False
    # Kept as text; invalid UTF-8 becomes U+FFFD so the document is still valid JSON.
    text = raw.decode("utf-8", errors="replace")
    return {
        "@timestamp": format_timestamp(now),
        "message": text.rstrip("\r"),
        "log.level": "unknown",
        "tags": [MALFORMED_TAG],
    }, True
