"""Tail log files matching globs by polling, yielding complete lines with their byte offsets.

File identity is ``(st_dev, st_ino, fingerprint)``. The fingerprint is a hash of the file's
first line (or of its first 1 KiB when that line is longer), so it never changes while the
file grows by appends, yet an inode reused for a new log file gets a new identity because
its first line (which carries a timestamp) differs. A file is picked up only once that
first line is complete. A file truncated and rewritten in place (copy-truncate rotation)
gets a new identity at its next scan and is read from 0 (not detected: a rewrite whose first
line is byte for byte the old one; ECS lines start with a millisecond timestamp).
"""
from __future__ import annotations

import glob
import hashlib
import os
from dataclasses import dataclass

FINGERPRINT_BYTES = 1024
MAX_LINE_BYTES = 1 << 20  # a longer line is cut into pieces (each kept), so memory stays bounded

__all__ = ["FileIdentity", "Line", "Tailer", "fingerprint", "identify"]


@dataclass(frozen=True)
class FileIdentity:
    """Which file a line came from, stable across renames and restarts."""

    dev: int
    ino: int
    fingerprint: str

    def __str__(self) -> str:
        return f"{self.dev}:{self.ino}:{self.fingerprint}"

    @classmethod
    def parse(cls, text: str) -> FileIdentity:
        """The inverse of ``str()``."""
        dev, ino, fp = text.split(":")
        return cls(int(dev), int(ino), fp)


@dataclass(frozen=True)
class Line:
    """One complete line: ``raw`` excludes the newline; ``end`` is the offset just after it."""

    identity: FileIdentity
    path: str
    offset: int
    end: int
    raw: bytes


def fingerprint(head: bytes) -> str | None:
    """Hash of the first line of ``head`` (the file's first bytes), or None while that line is incomplete."""
    newline = head.find(b"\n", 0, FINGERPRINT_BYTES)
    if newline >= 0:
        first = head[: newline + 1]
    elif len(head) >= FINGERPRINT_BYTES:
        first = head[:FINGERPRINT_BYTES]
    else:
        return None
    return hashlib.blake2b(first, digest_size=8).hexdigest()


def identify(fd: int) -> FileIdentity | None:
    """The identity of an open file, or None while it is too short to fingerprint."""
    st = os.fstat(fd)
    fp = fingerprint(os.pread(fd, FINGERPRINT_BYTES, 0))
    return None if fp is None else FileIdentity(st.st_dev, st.st_ino, fp)


class _Open:
    """One tailed file: its descriptor and the offset of the next unread byte."""

    def __init__(self, fd: int, identity: FileIdentity, path: str, position: int):
        self.fd, self.identity, self.path, self.position = fd, identity, path, position
        self.seen = True

    def size(self) -> int:
        return os.fstat(self.fd).st_size


class Tailer:
    """Polls ``patterns`` for files and reads their complete lines, resuming at given offsets."""

    def __init__(self, patterns: list[str], start_offsets: dict[FileIdentity, int] | None = None, *, chunk_bytes: int = 1 << 16):
        self.patterns = patterns
        self.start_offsets = dict(start_offsets or {})
        self.chunk_bytes = chunk_bytes
        self._files: dict[FileIdentity, _Open] = {}
        # While we hold a descriptor its inode cannot be reused, so (dev, ino) names one open file.
        self._by_inode: dict[tuple[int, int], FileIdentity] = {}

    def scan(self) -> None:
        """Open files newly matching the globs; close files that are gone and fully read."""
        for f in self._files.values():
            f.seen = False
        for path in sorted({p for pattern in self.patterns for p in glob.glob(pattern)}):
            self._discover(path)
        for identity, f in list(self._files.items()):
            # A rotated-away file keeps being read through its descriptor until its end.
            if not f.seen and f.position >= f.size():
                self._forget(identity)

    def _discover(self, path: str) -> None:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return
        known = self._by_inode.get((st.st_dev, st.st_ino))
        if known is not None:
            f = self._files[known]
            fp = fingerprint(os.pread(f.fd, FINGERPRINT_BYTES, 0))
            if fp == known.fingerprint or fp is None:  # None: truncated, no first line yet
                f.seen, f.path = True, path
                return
            self._forget(known)  # truncated and rewritten in place: a new file on the same inode
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return
        identity = identify(fd)
        if identity is None:
            os.close(fd)
            return
        self._files[identity] = _Open(fd, identity, path, self.start_offsets.get(identity, 0))
        self._by_inode[(identity.dev, identity.ino)] = identity

    def _forget(self, identity: FileIdentity) -> None:
        os.close(self._files.pop(identity).fd)
        del self._by_inode[(identity.dev, identity.ino)]

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
                    budget -= sum(len(x.raw) + 1 for x in got)
                if budget <= 0:
                    break
        return lines

    def _read_chunk(self, f: _Open, want: int) -> list[Line]:
        if f.size() < f.position:
            # Truncated in place: read nothing until the next scan sees its new first line and
            # names it a new file, so no new line is read under the old identity's offsets.
            return []
        data = os.pread(f.fd, max(want, 1), f.position)
        lines = []
        start = 0
        while True:
            newline = data.find(b"\n", start)
            if newline < 0:
                break
            lines.append(Line(f.identity, f.path, f.position + start, f.position + newline + 1, data[start:newline]))
            start = newline + 1
        if not lines and len(data) >= want:
            # No newline in a whole chunk: read further, up to MAX_LINE_BYTES, before cutting.
            data = os.pread(f.fd, MAX_LINE_BYTES, f.position)
            newline = data.find(b"\n")
            if newline >= 0:
                lines.append(Line(f.identity, f.path, f.position, f.position + newline + 1, data[:newline]))
                start = newline + 1
            elif len(data) >= MAX_LINE_BYTES:
                lines.append(Line(f.identity, f.path, f.position, f.position + len(data), data))
                start = len(data)
        f.position += start
        return lines

    def close(self) -> None:
        """Close every descriptor."""
        for f in self._files.values():
            os.close(f.fd)
        self._files.clear()
        self._by_inode.clear()
