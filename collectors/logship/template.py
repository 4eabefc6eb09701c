"""The index template for shipped logs: a plain index (not a data stream), ids as ``keyword``.

Elasticsearch 8 may ship a built-in ``logs`` template (``logs-*-*``, data streams, priority
100) that would also match ``logs-opsconsole-*``; ours has priority 500 so it wins whether
or not that one exists.
"""
from __future__ import annotations

from elasticsearch import Elasticsearch

__all__ = ["NAME", "PATTERN", "PRIORITY", "install_template", "template_body"]

NAME = "logs-opsconsole"
PATTERN = "logs-opsconsole-*"
PRIORITY = 500

_KEYWORDS = (
    "trace.id", "span.id", "service.name", "service.node.name", "log.level", "host.name",
    "log.file.path", "http.request.method", "url.path",
)
_LONGS = ("http.response.status_code", "event.duration", "log.offset")


def template_body(patterns: list[str]) -> dict:
    """The composable template for ``patterns``: 1 shard, 0 replicas, our ECS fields mapped."""
    properties: dict = {"@timestamp": {"type": "date"}, "message": {"type": "text"}}
    properties |= {name: {"type": "keyword"} for name in _KEYWORDS}
    properties |= {name: {"type": "long"} for name in _LONGS}
    # event.ingested is a time: mapped as a date so it sorts and ranges like @timestamp.
    properties["event.ingested"] = {"type": "date"}
    return {
        "index_patterns": patterns,
        "priority": PRIORITY,
        "template": {
            "settings": {"number_of_shards": 1, "number_of_replicas": 0},
            "mappings": {
                "dynamic": True,
                # Any other event.* string (action, outcome, dataset...) is an exact value.
                "dynamic_templates": [
                    {"event_keywords": {"path_match": "event.*", "match_mapping_type": "string", "mapping": {"type": "keyword"}}}
                ],
                "properties": properties,
            },
        },
    }


def install_template(client: Elasticsearch, prefix: str) -> list[str]:
    """Put our template (idempotent); a prefix outside ``logs-opsconsole-*`` gets one of its own. Returns the names."""
    names = [NAME]
    client.indices.put_index_template(name=NAME, **template_body([PATTERN]))
    if prefix != NAME and not prefix.startswith(NAME + "-"):
        client.indices.put_index_template(name=prefix, **template_body([f"{prefix}-*"]))
        names.append(prefix)
    return names
