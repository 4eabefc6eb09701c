"""Tail log files matching globs by polling, yielding complete lines with their byte offsets.

Rotation by rename: a file keeps its identity (same inode, same first line) under its new
name, and while it is open we keep reading it through its descriptor to its end, then for
``close_after`` seconds more (a writer may append to it until it reopens), then close it.
The new file under the old name is a new identity, read from 0.

Rotation by copy-truncate: a file whose size drops below our position or whose first line
changed was truncated in place; we stop reading it under the old identity and read it again
as a new file from 0. The rest of the old content lives on in the copy: when a file whose
first line is the truncated file's (another inode) matches the globs, it is *that* file, and
we continue it from where we were under the old identity, so nothing is read twice (same
``_id``s). Lines written after the copy was taken and before the truncate exist nowhere
any more: that is copy-truncate's own loss window, which only a rename rotation avoids. A
copy that does not match ``paths`` cannot be followed either, so list it (``app.log.1``).
"""
from __future__ import annotations

import glob
import os
import time
from typing import NamedTuple

from collectors.logship.identity import FINGERPRINT_BYTES, FileIdentity, fingerprint, fingerprint_of, identify

MAX_LINE_BYTES = 1 << 20
_SCAN_CHUNK = 1 << 16
_MAX_RETIRED = 256  # truncated files whose copy may still show up; the oldest is let go first

__all__ = ["FINGERPRINT_BYTES", "MAX_LINE_BYTES", "FileIdentity", "Line", "Tailer", "fingerprint", "identify"]


class Line(NamedTuple):
    """One complete line: ``raw`` excludes the newline; ``end`` is the offset just after it.

    ``truncated``: the line was longer than the limit and ``raw`` holds only its start.
    (A tuple, not a frozen dataclass: one is made per line, and a tuple is made several times faster.)
    """

    identity: FileIdentity
    path: str
    offset: int
    end: int
    raw: bytes
    truncated: bool = False


class _Open:
    """One tailed file: its descriptor and the offset of the next unread byte."""

    def __init__(self, fd: int, identity: FileIdentity, path: str, position: int):
        self.fd, self.identity, self.path, self.position = fd, identity, path, position
        self.seen = True
        self.idle_since: float | None = None  # when it was first found unmatched and read to its end
        self.searched_to = 0  # how far a newline was looked for in a long line

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def was_truncated(self) -> bool:
        """Whether the content under our position is no longer the file we were reading."""
        return self.size() < self.position or fingerprint_of(self.fd) != self.identity.fingerprint


class Tailer:
    """Polls ``patterns`` for files and reads their complete lines, resuming at given offsets."""

    def __init__(self, patterns: list[str], start_offsets: dict[FileIdentity, int] | None = None, *,
                 chunk_bytes: int = 1 << 16, max_line_bytes: int = MAX_LINE_BYTES, close_after: float = 5.0):
        self.patterns = patterns
        self.chunk_bytes, self.max_line_bytes, self.close_after = chunk_bytes, max_line_bytes, close_after
        # Offsets of files not met yet this run, by identity; kept until the file is opened.
        self._saved: dict[FileIdentity, int] = dict(start_offsets or {})
        self._retired: dict[tuple[int, str], tuple[FileIdentity, int]] = {}
        self._files: dict[FileIdentity, _Open] = {}
        # While we hold a descriptor its inode cannot be reused, so (dev, ino) names one open file.
        self._by_inode: dict[tuple[int, int], FileIdentity] = {}
        # files done with and the offset read to, until ``take_closed`` hands them on
        self._closed: list[tuple[FileIdentity, int]] = []
        self._scanned = False

    def scan(self, now: float | None = None) -> None:
        """Notice truncations, open files newly matching the globs, close files gone and read to the end."""
        now = time.monotonic() if now is None else now
        for f in list(self._files.values()):
            if f.was_truncated():
                self._retire(f)
            f.seen = False
        copies = []
        for path in sorted({p for pattern in self.patterns for p in glob.glob(pattern)}):
            copies += self._discover(path)
        # Exact matches first, so a copy never takes the identity its original still holds.
        for fd, identity, path in copies:
            self._place_copy(fd, identity, path)
        for identity, f in list(self._files.items()):
            if f.seen or f.position < f.size():
                f.idle_since = None
            elif f.idle_since is None:
                f.idle_since = now
            elif now - f.idle_since >= self.close_after:
                # done with for good (a truncated file is not: a copy of it may carry its identity on)
                self._closed.append((identity, f.position))
                self._forget(identity)
        if not self._scanned:
            # a saved file not under the globs at the first scan has gone (deleted, or rotated out of them)
            self._scanned = True
            self._closed += self._saved.items()
            self._saved.clear()

    def take_closed(self) -> list[tuple[FileIdentity, int]]:
        """The files done with since the last call, each with the offset it was read to."""
        closed, self._closed = self._closed, []
        return closed

    def _discover(self, path: str) -> list[tuple[int, FileIdentity, str]]:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return []
        known = self._by_inode.get((st.st_dev, st.st_ino))
        if known is not None:
            f = self._files[known]
            f.seen, f.path = True, path
            return []
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return []
        identity = identify(fd)
        if identity is None or identity in self._files:
            os.close(fd)
        elif identity in self._saved:
            self._open(fd, identity, path, self._saved.pop(identity))
        elif self._original_of(identity) is not None:
            return [(fd, identity, path)]
        else:
            self._open(fd, identity, path, 0)
        return []

    def _original_of(self, identity: FileIdentity) -> tuple[str, FileIdentity, int] | None:
        """The file ``identity`` may be a copy of (same first line, other inode): live, truncated, or saved."""
        for f in self._files.values():
            if (f.identity.dev, f.identity.fingerprint) == (identity.dev, identity.fingerprint):
                return "live", f.identity, f.position
        retired = self._retired.get((identity.dev, identity.fingerprint))
        if retired is not None:
            return "retired", *retired
        for saved, offset in self._saved.items():
            if (saved.dev, saved.fingerprint) == (identity.dev, identity.fingerprint):
                return "saved", saved, offset
        return None

    def _place_copy(self, fd: int, identity: FileIdentity, path: str) -> None:
        origin = self._original_of(identity)
        if origin is None:
            self._open(fd, identity, path, 0)
            return
        kind, original, position = origin
        if kind == "live":
            live = self._files[original]
            if _same_bytes_at_end(fd, live.fd):
                os.close(fd)  # a copy taken before the truncate: followed once the original is truncated
                return
            if not live.was_truncated():
                self._open(fd, identity, path, 0)  # another file that merely starts with the same line
                return
            # Truncated after this scan looked at it: the copy is its rest, as if seen retired.
            position = live.position
            self._forget(original)
        self._retired.pop((identity.dev, identity.fingerprint), None)
        self._saved.pop(original, None)
        st = os.fstat(fd)
        # Past the copy's end we read lines the original had after the copy was taken.
        self._open(fd, original, path, min(position, st.st_size), inode=(st.st_dev, st.st_ino))

    def _open(self, fd: int, identity: FileIdentity, path: str, position: int, *, inode: tuple[int, int] | None = None) -> None:
        self._files[identity] = _Open(fd, identity, path, position)
        self._by_inode[inode or (identity.dev, identity.ino)] = identity

    def _retire(self, f: _Open) -> None:
        self._retired[(f.identity.dev, f.identity.fingerprint)] = (f.identity, f.position)
        while len(self._retired) > _MAX_RETIRED:
            del self._retired[next(iter(self._retired))]
        self._forget(f.identity)

    def _forget(self, identity: FileIdentity) -> None:
        f = self._files.pop(identity)
        os.close(f.fd)
        self._by_inode = {k: v for k, v in self._by_inode.items() if v != identity}

    def files(self) -> list[tuple[FileIdentity, str, int]]:
        """``(identity, path, size)`` of each open file."""
        return [(f.identity, f.path, f.size()) for f in self._files.values()]

    def read(self, max_bytes: int) -> list[Line]:
        """Up to about ``max_bytes`` of complete lines, taking a chunk from each file in turn."""
        lines: list[Line] = []
        budget = max_bytes
        progress = True
        while budget > 0 and progress:
            progress = False
            for f in list(self._files.values()):
                got = self._read_chunk(f, min(self.chunk_bytes, budget))
                if got:
                    progress = True
                    lines.extend(got)
                    budget -= got[-1].end - got[0].offset
                if budget <= 0:
                    break
        return lines

    def _read_chunk(self, f: _Open, want: int) -> list[Line]:
        if f.size() < f.position:
            return []  # truncated: the next scan names the new content a new file
        data = os.pread(f.fd, max(want, 1), f.position)
        # Truncated and rewritten since the scan: these bytes are not the file we were reading.
        if data and fingerprint_of(f.fd) != f.identity.fingerprint:
            return []
        lines = []
        start = 0
        while (newline := data.find(b"\n", start)) >= 0:
            lines.append(Line(f.identity, f.path, f.position + start, f.position + newline + 1, data[start:newline]))
            start = newline + 1
        f.position += start
        if not lines and len(data) >= want:
            long_line = self._long_line(f)
            return [long_line] if long_line else []
        return lines

    def _long_line(self, f: _Open) -> Line | None:
        """A line longer than a chunk: found by looking ahead for its newline, kept up to ``max_line_bytes``."""
        at = max(f.searched_to, f.position)
        for _ in range(64):  # bounded work per call; the search resumes where it stopped
            data = os.pread(f.fd, _SCAN_CHUNK, at)
            newline = data.find(b"\n")
            if newline >= 0:
                end = at + newline + 1
                length = end - 1 - f.position
                raw = os.pread(f.fd, min(length, self.max_line_bytes), f.position)
                line = Line(f.identity, f.path, f.position, end, raw, truncated=length > self.max_line_bytes)
                f.position, f.searched_to = end, 0
                return line
            at += len(data)
            if len(data) < _SCAN_CHUNK:
                break
        f.searched_to = at
        return None

    def close(self) -> None:
        """Close every descriptor."""
        for f in self._files.values():
            os.close(f.fd)
        self._files.clear()
        self._by_inode.clear()


def _same_bytes_at_end(copy_fd: int, original_fd: int) -> bool:
    """Whether the last bytes of ``copy_fd`` are the original's at the same offsets (a copy is a prefix)."""
    size = os.fstat(copy_fd).st_size
    start = max(0, size - FINGERPRINT_BYTES)
    tail = os.pread(copy_fd, size - start, start)
    return os.pread(original_fd, len(tail), start) == tail
