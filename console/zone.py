"""Time zone names in settings and policies, checked once the same way everywhere."""
from __future__ import annotations

from zoneinfo import ZoneInfo

__all__ = ["known_zone"]


def known_zone(name: str) -> str:
    """``name`` if ``zoneinfo`` knows it (``Europe/Berlin``, ``UTC``); ``ValueError`` naming it otherwise."""
    try:
        ZoneInfo(name)
    except (ValueError, LookupError) as e:
        raise ValueError(f"unknown time zone {name!r}") from e
    return name
