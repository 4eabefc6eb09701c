"""Pure routing of a document: its deterministic ``_id`` and its daily index."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime, timezone

from collectors.logship.tail import FileIdentity

__all__ = ["Record", "document_id", "index_name"]


@dataclass(frozen=True)
class Record:
    """One encoded document ready for ``_bulk``: where it goes and which bytes of which file it covers."""

    identity: FileIdentity
    path: str
    offset: int
    end: int
    index: str
    doc_id: str
    source: bytes  # the JSON document, no trailing newline

    @cached_property
    def bulk_lines(self) -> bytes:
        """The two NDJSON lines of this record in a ``_bulk`` body."""
        action = json.dumps({"create": {"_index": self.index, "_id": self.doc_id}}, separators=(",", ":"))
        return action.encode() + b"\n" + self.source + b"\n"

    @property
    def size(self) -> int:
        """Bytes this record adds to a bulk body."""
        return len(self.bulk_lines)


def document_id(identity: FileIdentity, offset: int) -> str:
    """The same line of the same file always gets the same id, so a re-sent line never duplicates."""
    return hashlib.blake2b(f"{identity}@{offset}".encode(), digest_size=16).hexdigest()


def index_name(prefix: str, timestamp: object, fallback: datetime) -> str:
    """``<prefix>-YYYY.MM.DD`` of the document's ``@timestamp`` in UTC, else of ``fallback``."""
    moment = _parse_timestamp(timestamp) or fallback
    return f"{prefix}-{moment.astimezone(timezone.utc):%Y.%m.%d}"


def _parse_timestamp(value: object) -> datetime | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):  # Elasticsearch reads numbers as epoch millis
        try:
            return datetime.fromtimestamp(value / 1000, timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return None
