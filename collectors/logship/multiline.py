"""Pure joining of multi-line events (stack traces): continuation lines join the line before them.

A line is a continuation when it matches ``pattern`` (or, with ``negate``, when it does
not). An event is held until the next event of its file starts, or until ``flush_after``
seconds pass without a new line for it, so the last event of a quiet file is not held
forever. It spans the bytes of its lines, so its ``_id`` (from its first offset) and the
checkpoint (its end) work as for a single line, and a restart joins the same lines again.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from collectors.logship.identity import FileIdentity
from collectors.logship.tail import Line

__all__ = ["Joiner", "MultilineRule"]


@dataclass(frozen=True)
class MultilineRule:
    """Which lines continue the event before them, and how large an event may grow."""

    pattern: str
    negate: bool = False
    max_lines: int = 500
    max_bytes: int = 1 << 20
    flush_after: float = 1.0

    def continues(self, raw: bytes) -> bool:
        """Whether a line with these bytes belongs to the event before it."""
        return (_compiled(self.pattern).search(raw) is not None) != self.negate


@functools.lru_cache(maxsize=16)
def _compiled(pattern: str) -> re.Pattern:
    # Lines are bytes (they may not be valid UTF-8), so the pattern is matched as bytes.
    return re.compile(pattern.encode())


class _Event:
    def __init__(self, line: Line, now: float):
        self.lines, self.bytes, self.last = [line], len(line.raw), now

    def takes(self, line: Line, rule: MultilineRule) -> bool:
        return len(self.lines) < rule.max_lines and self.bytes + 1 + len(line.raw) <= rule.max_bytes

    def add(self, line: Line, now: float) -> None:
        self.lines.append(line)
        self.bytes += 1 + len(line.raw)
        self.last = now

    def line(self) -> Line:
        first, last = self.lines[0], self.lines[-1]
        if len(self.lines) == 1:
            return first
        raw = b"\n".join(x.raw for x in self.lines)
        return Line(first.identity, last.path, first.offset, last.end, raw, any(x.truncated for x in self.lines))


class Joiner:
    """Per file, the event being assembled; ``feed`` lines in file order, take finished events out."""

    def __init__(self, rule: MultilineRule):
        self.rule = rule
        self._open: dict[FileIdentity, _Event] = {}

    def feed(self, line: Line, now: float) -> list[Line]:
        """Add one line; returns the event it finished, if any (at most one)."""
        event = self._open.get(line.identity)
        if event is not None and self.rule.continues(line.raw) and event.takes(line, self.rule):
            event.add(line, now)
            return []
        self._open[line.identity] = _Event(line, now)
        return [event.line()] if event is not None else []

    def due(self, now: float) -> list[Line]:
        """Events with no new line for ``flush_after`` seconds, taken out."""
        quiet = [k for k, e in self._open.items() if now - e.last >= self.rule.flush_after]
        return [self._open.pop(k).line() for k in quiet]

    def next_due(self) -> float | None:
        """When the earliest held event falls due (monotonic seconds), or None if none is held."""
        return min((e.last + self.rule.flush_after for e in self._open.values()), default=None)

    def flush(self) -> list[Line]:
        """Every held event, taken out (at shutdown or the end of a one-shot run)."""
        events = [e.line() for e in self._open.values()]
        self._open.clear()
        return events
