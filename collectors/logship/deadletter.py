"""Records Elasticsearch will never accept, appended to an NDJSON file with the reason."""
from __future__ import annotations

import json
import os
import threading
from datetime import datetime
from pathlib import Path

from collectors.logship.parse import format_timestamp
from collectors.logship.record import Record

__all__ = ["DeadLetters"]


class DeadLetters:
    """Appends one JSON line per refused record to ``path`` and syncs before returning."""

    def __init__(self, path: Path):
        self.path = Path(path)
        # Several senders may write at once; one write of many lines could interleave with another.
        self._lock = threading.Lock()

    def write(self, dead: list[tuple[Record, str]], now: datetime) -> None:
        """Append ``(record, reason)`` pairs durably: the checkpoint moves past them only after this."""
        if not dead:
            return
        lines = []
        for record, reason in dead:
            entry = {
                "@timestamp": format_timestamp(now),
                "reason": reason,
                "index": record.index,
                "_id": record.doc_id,
                "log.file.path": record.path,
                "log.offset": record.offset,
                "document": record.source.decode("utf-8"),
            }
            lines.append(json.dumps(entry, separators=(",", ":")) + "\n")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path, "a", encoding="utf-8") as f:
            f.write("".join(lines))
            f.flush()
            os.fsync(f.fileno())
