"""Which file a line came from: device, inode and a fingerprint of the file's first line.

The fingerprint is a hash of the first line (or of the first 1 KiB when that line is
longer), so it never changes while the file grows by appends, yet an inode reused for a new
log file gets a new identity because its first line (which carries a timestamp) differs. A
file truncated and rewritten in place gets a new identity the same way. Not told apart: a
rewrite whose first line is byte for byte the old one (ECS lines start with a millisecond
timestamp, so in practice this does not happen).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

__all__ = ["FINGERPRINT_BYTES", "FileIdentity", "fingerprint", "fingerprint_of", "identify"]

FINGERPRINT_BYTES = 1024


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


def fingerprint_of(fd: int) -> str | None:
    """The fingerprint of an open file as it is now."""
    return fingerprint(os.pread(fd, FINGERPRINT_BYTES, 0))


def identify(fd: int) -> FileIdentity | None:
    """The identity of an open file, or None while it is too short to fingerprint."""
    st = os.fstat(fd)
    fp = fingerprint_of(fd)
    return None if fp is None else FileIdentity(st.st_dev, st.st_ino, fp)
