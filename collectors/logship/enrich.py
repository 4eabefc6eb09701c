"""Pure enrichment of a parsed document with where and when it was read."""
from __future__ import annotations

__all__ = ["enrich"]


def enrich(doc: dict, *, host: str, path: str, offset: int, ingested: str) -> dict:
    """A copy of ``doc`` with ``host.name`` (unless set), ``log.file.path``, ``log.offset``, ``event.ingested`` (RFC 3339)."""
    out = dict(doc)
    host_obj = out.get("host")
    if "host.name" not in out and not (isinstance(host_obj, dict) and "name" in host_obj):
        out["host.name"] = host
    # Where the line was read is ours to say: these overwrite whatever the line carried.
    out["log.file.path"] = path
    out["log.offset"] = offset
    out["event.ingested"] = ingested
    return out
