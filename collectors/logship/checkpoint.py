"""Per file identity, the offset up to which Elasticsearch acknowledged every line.

Saved as one JSON file, atomically (temp file, fsync, rename, fsync of the directory), and
only after the bulk request carrying those lines was acknowledged: a crash can make us send
a line again (its ``_id`` makes that harmless) but never skip one.
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

from collectors.logship.tail import FileIdentity

__all__ = ["Checkpoints"]

FILE_NAME = "checkpoints.json"


class Checkpoints:
    """The acknowledged offsets, kept in ``<directory>/checkpoints.json``."""

    def __init__(self, directory: Path):
        self.path = Path(directory) / FILE_NAME
        self._lock = threading.Lock()
        self._offsets: dict[FileIdentity, tuple[int, str]] = {}
        # files the tailer is done with, and the offset each was read to: dropped once acknowledged that far
        self._retiring: dict[FileIdentity, int] = {}

    def load(self) -> dict[FileIdentity, int]:
        """Read the saved offsets (none if the file does not exist yet) and return them."""
        if self.path.exists():
            raw = json.loads(self.path.read_text())
            with self._lock:
                self._offsets = {FileIdentity.parse(k): (int(v["offset"]), v.get("path", "")) for k, v in raw.items()}
        return self.offsets()

    def offsets(self) -> dict[FileIdentity, int]:
        """A snapshot of every acknowledged offset."""
        with self._lock:
            return {k: v[0] for k, v in self._offsets.items()}

    def offset(self, identity: FileIdentity) -> int:
        """The acknowledged offset of one file (0 if none)."""
        with self._lock:
            return self._offsets.get(identity, (0, ""))[0]

    def advance(self, *ends: dict[FileIdentity, tuple[int, str]]) -> None:
        """Move offsets forward to each of ``ends`` (never back), drop the retired files now acknowledged, save
        atomically, once."""
        with self._lock:
            for identity, (end, path) in (pair for one in ends for pair in one.items()):
                if end > self._offsets.get(identity, (0, ""))[0]:
                    self._offsets[identity] = (end, path)
            self._prune()
            self._save()

    def retire(self, identity: FileIdentity, end: int) -> None:
        """``identity``'s file left the globs after being read to ``end``: forget it once acknowledged that far,
        so the checkpoints do not grow with every rotation. (Read again later, its lines keep their ``_id``s.)"""
        with self._lock:
            self._retiring[identity] = end
            if self._prune():
                self._save()

    def _prune(self) -> bool:
        done = [i for i, end in self._retiring.items() if self._offsets.get(i, (0, ""))[0] >= end]
        for identity in done:
            self._offsets.pop(identity, None)
            del self._retiring[identity]
        return bool(done)

    def _save(self) -> None:
        data = {str(k): {"offset": v[0], "path": v[1]} for k, v in sorted(self._offsets.items(), key=lambda kv: str(kv[0]))}
        _write_atomically(self.path, json.dumps(data, indent=1) + "\n")


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    # The rename itself is durable only once the directory is synced.
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
