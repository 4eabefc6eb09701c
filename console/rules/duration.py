"""Prometheus durations (``1h30m``, ``5m``, ``0s``): parsed to seconds and written back canonically."""
from __future__ import annotations

import re

# the units Prometheus' model.ParseDuration accepts, largest first
UNITS = (("y", 365 * 86400_000), ("w", 7 * 86400_000), ("d", 86400_000), ("h", 3600_000), ("m", 60_000),
         ("s", 1000), ("ms", 1))
PATTERN = re.compile("^" + "".join(rf"(?:(\d+){unit})?" for unit, _ in UNITS) + "$")


def parse_duration(text: str) -> float:
    """Seconds in a Prometheus duration; ``ValueError`` naming the text when it is not one."""
    match = PATTERN.match(text) if isinstance(text, str) else None
    if text == "0":
        return 0.0
    if not text or match is None:
        raise ValueError(f"not a Prometheus duration: {text!r} (use e.g. 30s, 5m, 1h30m)")
    millis = sum(int(n) * size for n, (_, size) in zip(match.groups(), UNITS) if n)
    return millis / 1000


def format_duration(seconds: float) -> str:
    """The canonical spelling Prometheus itself prints for ``seconds`` (``90m`` becomes ``1h30m``)."""
    millis = round(seconds * 1000)
    if millis == 0:
        return "0s"
    parts = []
    for unit, size in UNITS:
        count, millis = divmod(millis, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def canonical(text: str) -> str:
    """``text`` as a canonical Prometheus duration."""
    return format_duration(parse_duration(text))
