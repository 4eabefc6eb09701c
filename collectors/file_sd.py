"""Prometheus ``file_sd`` target files, written atomically so Prometheus never reads half a file."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

__all__ = ["validate_groups", "write_targets"]


def validate_groups(groups: object) -> list[dict]:
    """Check the file_sd shape: a list of ``{"targets": [str, ...], "labels": {str: str}}``; ValueError if not."""
    if not isinstance(groups, list):
        raise ValueError(f"file_sd groups must be a list, not {type(groups).__name__}")
    for i, group in enumerate(groups):
        if not isinstance(group, dict):
            raise ValueError(f"group {i} must be an object, not {type(group).__name__}")
        unknown = set(group) - {"targets", "labels"}
        if unknown:
            raise ValueError(f"group {i} has unknown keys: {', '.join(sorted(unknown))}")
        targets = group.get("targets")
        if not isinstance(targets, list) or not all(isinstance(t, str) and t for t in targets):
            raise ValueError(f"group {i}: targets must be a list of non-empty strings")
        labels = group.get("labels", {})
        if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
            raise ValueError(f"group {i}: labels must map strings to strings")
    return groups


def write_targets(path: Path, groups: list[dict]) -> None:
    """Validate ``groups`` and replace ``path`` with them as file_sd JSON (temp file + rename in the same dir)."""
    validate_groups(groups)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(groups, indent=2, sort_keys=True) + "\n"
    # Prometheus watches the directory: the temp name must not match its *.json glob.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
