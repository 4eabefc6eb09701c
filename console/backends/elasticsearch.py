"""Log lines in Elasticsearch, through the official 8.x client.

Health uses ``cluster.health()``: the minimal distribution we run answers ``GET /`` with 405.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

import elastic_transport
from elasticsearch import ApiError, Elasticsearch
from elasticsearch.serializer import OrjsonSerializer

from console.backends.base import Health, check_settings, probe
from console.errors import BackendError, BackendUnavailable
from console.http import redact_url

NAME = "elasticsearch"
T = TypeVar("T")


@dataclass(frozen=True)
class LogLine:
    """One ECS log line; ``source`` keeps the whole document for fields not lifted out."""

    id: str
    timestamp: datetime
    level: str
    message: str
    service: str
    node: str
    trace_id: str | None
    span_id: str | None
    source: dict[str, Any]


def ecs_field(source: dict[str, Any], path: str) -> Any:
    """An ECS field whether the document spells it dotted (``"trace.id"``) or nested (``trace: {id}``)."""
    if path in source:
        return source[path]
    head, _, rest = path.partition(".")
    inner = source.get(head)
    if rest and isinstance(inner, dict):
        return ecs_field(inner, rest)
    return None


def parse_hits(body: Any) -> list[LogLine]:
    """Log lines of a search answer, in its order."""
    lines = []
    for hit in body["hits"]["hits"]:
        src = hit["_source"]
        lines.append(LogLine(
            id=hit["_id"],
            timestamp=datetime.fromisoformat(src["@timestamp"].replace("Z", "+00:00")),
            level=ecs_field(src, "log.level") or "unknown",
            message=ecs_field(src, "message") or "",
            service=ecs_field(src, "service.name") or "unknown",
            node=ecs_field(src, "service.node.name") or "",
            trace_id=ecs_field(src, "trace.id"),
            span_id=ecs_field(src, "span.id"),
            source=src,
        ))
    return lines


@dataclass(frozen=True)
class ErrorMessage:
    """One error message and how many error lines carried it; ``sample`` is the newest such line."""

    message: str
    count: int
    sample: LogLine | None


def parse_top_errors(body: Any) -> list[ErrorMessage]:
    """The buckets of a ``top_errors`` aggregation answer, most frequent first."""
    buckets = (body.get("aggregations") or {}).get("messages", {}).get("buckets", [])
    found = []
    for bucket in buckets:
        samples = parse_hits(bucket["sample"]) if "sample" in bucket else []
        found.append(ErrorMessage(str(bucket["key"]), int(bucket["doc_count"]), samples[0] if samples else None))
    return found


def parse_histogram(body: Any) -> list[tuple[datetime, int]]:
    """``(bucket start, count)`` of a ``date_histogram`` answer, oldest first."""
    buckets = (body.get("aggregations") or {}).get("over_time", {}).get("buckets", [])
    return [(datetime.fromtimestamp(b["key"] / 1000, timezone.utc), int(b["doc_count"])) for b in buckets]


def logs_query(*, trace_id: str | None = None, service: str | None = None, level: str | None = None,
               start: datetime | None = None, end: datetime | None = None, text: str | None = None,
               trace_ids: list[str] | None = None) -> dict:
    """The bool query selecting log lines by exact ids, a time range and optional free text."""
    filters: list[dict] = []
    for field, value in (("trace.id", trace_id), ("service.name", service), ("log.level", level)):
        if value:
            filters.append({"term": {field: value}})
    if trace_ids is not None:
        filters.append({"terms": {"trace.id": trace_ids}})
    if start or end:
        bounds = {op: t.isoformat() for op, t in (("gte", start), ("lte", end)) if t}
        filters.append({"range": {"@timestamp": bounds}})
    # simple_query_string never raises on bad syntax, so user text cannot fail (or shape) the query; every
    # term must match, as in a log search box ("-foo" alone would otherwise match every line without foo)
    must = [{"simple_query_string": {"query": text, "fields": ["message"], "lenient": True,
                                     "default_operator": "and"}}] if text else []
    return {"bool": {"filter": filters, "must": must}}


def top_errors_search(*, start: datetime, end: datetime, service: str | None = None, size: int = 5) -> dict:
    """The ``query`` and ``aggs`` of ``top_errors``: error lines counted by message, each with its newest line."""
    query = logs_query(service=service, start=start, end=end)
    query["bool"]["filter"].append({"exists": {"field": "error.message"}})
    # error.message is mapped dynamically, so its exact value lives in the .keyword sub-field
    aggs = {"messages": {"terms": {"field": "error.message.keyword", "size": size},
                         "aggs": {"sample": {"top_hits": {"size": 1, "sort": [{"@timestamp": "desc"}]}}}}}
    return {"query": query, "aggs": aggs}


def trace_lines_search(trace_ids: list[str], *, start: datetime, end: datetime, first: int, errors: int) -> dict:
    """The ``query`` and ``aggs`` of ``lines_of_traces``: per trace, its ``first`` oldest lines and its ``errors``
    oldest error lines."""
    oldest = [{"@timestamp": {"order": "asc", "unmapped_type": "date"}}]
    aggs = {"traces": {"terms": {"field": "trace.id", "size": max(1, len(trace_ids))},
                       "aggs": {"first": {"top_hits": {"size": first, "sort": oldest}},
                                "errors": {"filter": {"term": {"log.level": "error"}},
                                           "aggs": {"lines": {"top_hits": {"size": errors, "sort": oldest}}}}}}}
    return {"query": logs_query(trace_ids=trace_ids, start=start, end=end), "aggs": aggs}


def parse_trace_lines(body: Any) -> list[LogLine]:
    """The lines of a ``lines_of_traces`` answer, each once, oldest first."""
    lines: dict[str, LogLine] = {}
    for bucket in (body.get("aggregations") or {}).get("traces", {}).get("buckets", []):
        for hits in (bucket["first"], bucket["errors"]["lines"]):
            for line in parse_hits(hits):
                lines.setdefault(line.id, line)
    return sorted(lines.values(), key=lambda line: (line.timestamp, line.id))


class ElasticsearchLogs:
    """The log lines held by an Elasticsearch cluster at ``url``, under ``index`` (a pattern)."""

    name = NAME

    def __init__(self, url: str, *, timeout: float, index: str = "logs-opsconsole-*"):
        check_settings(NAME, url, timeout)
        self.url = url
        self.index = index
        # no retries: the console probes often and would rather say "down" now than later; orjson, as for the
        # other backends (console.http), to spend less of the GIL the concurrent queries of a view share
        self._es = Elasticsearch(url, request_timeout=timeout, max_retries=0, retry_on_timeout=False,
                                 serializer=OrjsonSerializer())

    def health(self) -> Health:
        """Cluster status: green or yellow is healthy, red is not."""
        return probe(self.name, self.url, self._status)

    def _status(self) -> str:
        body = self._call(lambda: self._es.cluster.health())
        if body["status"] == "red":
            raise BackendError(NAME, "cluster status red")
        return f"cluster {body['cluster_name']} {body['status']}, {body['number_of_nodes']} node(s)"

    def search_logs(self, *, trace_id: str | None = None, service: str | None = None, level: str | None = None,
                    start: datetime | None = None, end: datetime | None = None, text: str | None = None,
                    trace_ids: list[str] | None = None, limit: int = 100,
                    oldest_first: bool = False) -> list[LogLine]:
        """Log lines matching every given criterion, newest first unless ``oldest_first``."""
        query = logs_query(trace_id=trace_id, service=service, level=level, start=start, end=end, text=text,
                           trace_ids=trace_ids)
        body = self._call(lambda: self._es.search(
            index=self.index,
            query=query,
            size=limit,
            sort=[{"@timestamp": {"order": "asc" if oldest_first else "desc", "unmapped_type": "date"}}],
            ignore_unavailable=True,
            allow_no_indices=True,
        ))
        return parse_hits(body)

    def lines_of_traces(self, trace_ids: list[str], *, start: datetime, end: datetime, first: int = 10,
                        errors: int = 10) -> list[LogLine]:
        """Each trace's ``first`` oldest lines and its ``errors`` oldest error lines, oldest first: every trace gets
        its share however many lines the others have, and a failed one shows why even when it logged a lot."""
        if not trace_ids:
            return []
        return parse_trace_lines(self._aggregate(**trace_lines_search(trace_ids, start=start, end=end, first=first,
                                                                     errors=errors)))

    def top_errors(self, *, start: datetime, end: datetime, service: str | None = None,
                   size: int = 5) -> list[ErrorMessage]:
        """The most frequent ``error.message`` values of error lines in the window, each with its newest line."""
        return parse_top_errors(self._aggregate(**top_errors_search(start=start, end=end, service=service, size=size)))

    def histogram(self, *, start: datetime, end: datetime, interval_s: int, **criteria: Any) -> list[tuple[datetime, int]]:
        """Counts of the log lines matching ``criteria`` (as ``search_logs``) per ``interval_s`` bucket."""
        query = logs_query(start=start, end=end, **criteria)
        bounds = {"min": int(start.timestamp() * 1000), "max": int(end.timestamp() * 1000)}
        aggs = {"over_time": {"date_histogram": {"field": "@timestamp", "fixed_interval": f"{interval_s}s",
                                                 "min_doc_count": 0, "extended_bounds": bounds}}}
        return parse_histogram(self._aggregate(query, aggs))

    def _aggregate(self, query: dict, aggs: dict) -> Any:
        return self._call(lambda: self._es.search(index=self.index, query=query, aggs=aggs, size=0,
                                                  ignore_unavailable=True, allow_no_indices=True))

    def _call(self, request: Callable[[], T]) -> T:
        where = redact_url(self.url)
        try:
            return request()
        except ApiError as e:
            raise BackendError(NAME, f"{where}: HTTP {e.meta.status}: {e.message}", status=e.meta.status) from e
        except elastic_transport.TransportError as e:
            raise BackendUnavailable(NAME, f"{where}: {type(e).__name__}: {e.message[:200]}") from e

    def close(self) -> None:
        """Release connections."""
        self._es.close()
