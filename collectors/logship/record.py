"""Pure routing of a document: its deterministic ``_id`` and its daily index."""
from __future__ import annotations

import functools
import hashlib
from datetime import datetime, timezone

from collectors.logship.tail import FileIdentity

__all__ = ["Record", "document_id", "file_prefix", "id_in_file", "index_name"]


class Record:
    """One document ready for ``_bulk``: where it goes and which bytes of which file it covers.

    Kept as its two encoded bulk lines only (no separate copy of the document), in slots:
    the in-flight queue holds tens of thousands of these.
    """

    __slots__ = ("identity", "path", "offset", "end", "index", "bulk_lines", "size")

    def __init__(self, identity: FileIdentity, path: str, offset: int, end: int, index: str, doc_id: str, source: bytes):
        self.identity, self.path, self.offset, self.end, self.index = identity, path, offset, end, index
        # Index names and ids are plain lowercase/hex text: nothing in them needs JSON escaping.
        self.bulk_lines = b'{"create":{"_index":"%s","_id":"%s"}}\n%s\n' % (index.encode(), doc_id.encode(), source)
        self.size = len(self.bulk_lines)  # bytes this record adds to a bulk body

    def __repr__(self) -> str:
        return f"Record({self.path!r}, offset={self.offset}, _id={self.doc_id})"

    @property
    def doc_id(self) -> str:
        """The ``_id`` this record is sent with (kept only inside ``bulk_lines``, to keep records small)."""
        return document_id(self.identity, self.offset)

    @property
    def source(self) -> bytes:
        """The JSON document, no trailing newline."""
        return self.bulk_lines[self.bulk_lines.index(b"\n") + 1 : -1]


def document_id(identity: FileIdentity, offset: int) -> str:
    """The same line of the same file always gets the same id, so a re-sent line never duplicates."""
    # A prefix per file, then the offset in fixed-width hex: a file's ids increase as it is read.
    # Every ``create`` makes Elasticsearch look its id up; ids in order share prefixes and land in
    # few term blocks, which it finds faster than random hashes spread over every block.
    return id_in_file(file_prefix(identity), offset)


def id_in_file(prefix: str, offset: int) -> str:
    """``document_id`` of the line at ``offset`` of the file whose ``file_prefix`` is ``prefix``."""
    return f"{prefix}{offset:016x}"


@functools.lru_cache(maxsize=1024)
def file_prefix(identity: FileIdentity) -> str:
    """The part of ``document_id`` shared by every line of one file."""
    return hashlib.blake2b(str(identity).encode(), digest_size=8).hexdigest()


def index_name(prefix: str, timestamp: object, fallback: datetime) -> str:
    """``<prefix>-YYYY.MM.DD`` of the document's ``@timestamp`` in UTC, else of ``fallback``."""
    if isinstance(timestamp, str) and len(timestamp) > 10 and timestamp[10] == "T" and timestamp[-1] == "Z":
        # The common case, an ECS UTC timestamp: its first ten characters are the day.
        name = _daily_index(prefix, timestamp[:10])
        if name is not None:
            return name
    moment = _parse_timestamp(timestamp) or fallback
    return f"{prefix}-{moment.astimezone(timezone.utc):%Y.%m.%d}"


@functools.lru_cache(maxsize=64)
def _daily_index(prefix: str, date: str) -> str | None:
    # Cached whole, so the records of one day share one index name string.
    try:
        return f"{prefix}-{datetime.strptime(date, '%Y-%m-%d'):%Y.%m.%d}"
    except ValueError:
        return None


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
