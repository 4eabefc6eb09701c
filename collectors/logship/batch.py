"""Pure batching: records collect until a count, byte or age bound says the batch is due."""
from __future__ import annotations

from collectors.logship.record import Record
from collectors.logship.tail import FileIdentity

__all__ = ["Batch"]


class Batch:
    """An ordered group of records bounded by ``max_lines``, ``max_bytes`` and ``max_age`` seconds."""

    def __init__(self, *, max_lines: int, max_bytes: int, max_age: float):
        if max_lines < 1 or max_bytes < 1 or max_age <= 0:
            raise ValueError("batch bounds must be positive")
        self.max_lines, self.max_bytes, self.max_age = max_lines, max_bytes, max_age
        self.records: list[Record] = []
        self.bytes = 0
        self.started: float | None = None

    def __len__(self) -> int:
        return len(self.records)

    def fits(self, record: Record) -> bool:
        """Whether ``record`` can join without passing a bound; an empty batch takes any one record."""
        if not self.records:
            return True
        return len(self.records) < self.max_lines and self.bytes + record.size <= self.max_bytes

    def add(self, record: Record, now: float) -> None:
        """Append ``record``; ``now`` (monotonic seconds) starts the age clock of an empty batch."""
        if self.started is None:
            self.started = now
        self.records.append(record)
        self.bytes += record.size

    def is_full(self) -> bool:
        """Whether the count or byte bound is reached."""
        return len(self.records) >= self.max_lines or self.bytes >= self.max_bytes

    def is_due(self, now: float) -> bool:
        """Whether the batch should be sent now: full, or non-empty and older than ``max_age``."""
        if not self.records:
            return False
        return self.is_full() or now - self.started >= self.max_age

    def ends(self) -> dict[FileIdentity, tuple[int, str]]:
        """Per file identity, ``(highest end offset, path)``: what acknowledging this batch covers."""
        out: dict[FileIdentity, tuple[int, str]] = {}
        # A batch holds runs of lines from one file, read in order, sharing one identity object: the
        # identity is hashed once a run (hashing it per record cost more than the bulk request's own CPU).
        run, last = None, (0, "")
        for r in (*self.records, None):
            if r is not None and r.identity is run:
                if r.end > last[0]:
                    last = (r.end, r.path)
                continue
            if run is not None and last[0] > out.get(run, (0, ""))[0]:
                out[run] = last
            if r is not None:
                run, last = r.identity, (r.end, r.path)
        return out
