"""The Elasticsearch sink: one ``_bulk`` request per batch, every item's result checked.

``export`` never sleeps: it says which records were acknowledged, which are worth sending
again (transport errors, timeouts, 429, 5xx) and which never will be (mapping conflicts,
immense terms and other 4xx; a document too large for a request), and ``retry.Retry`` in
the shipper decides when to try again.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, Elasticsearch
from elasticsearch.serializer import OrjsonSerializer

from collectors.logship.record import Record
from console.errors import BackendError

__all__ = ["ElasticsearchSink", "ExportResult", "classify_items"]

# Only the fields we check, so a large batch does not come back as a large response.
_FILTER = "errors,items.*.status,items.*.error.type,items.*.error.reason"


@dataclass
class ExportResult:
    """What became of one bulk request's records."""

    acked: list[Record] = field(default_factory=list)
    retry: list[Record] = field(default_factory=list)
    dead: list[tuple[Record, str]] = field(default_factory=list)
    retry_reason: str = ""


def _is_retryable(status: int) -> bool:
    return status == 429 or status >= 500


def classify_items(records: list[Record], items: list[dict]) -> ExportResult:
    """Pair each record with its bulk item result (same order) and sort it into acked, retry or dead."""
    if len(items) != len(records):
        raise BackendError("elasticsearch", f"bulk answered {len(items)} items for {len(records)} documents")
    result = ExportResult()
    for record, item in zip(records, items):
        (outcome,) = item.values()
        status = int(outcome.get("status", 0))
        if status in (200, 201, 409):  # 409 on create: this _id is already indexed, i.e. sent before
            result.acked.append(record)
        elif _is_retryable(status):
            result.retry.append(record)
            result.retry_reason = f"item status {status}"
        else:
            error = outcome.get("error") or {}
            result.dead.append((record, f"{status} {error.get('type', 'error')}: {error.get('reason', '')}"))
    return result


class ElasticsearchSink:
    """Sends records to Elasticsearch with ``_bulk``; no client-side retries, the caller decides."""

    def __init__(self, url: str, *, timeout: float = 30.0):
        # orjson reads the per-item answer of a thousand-line bulk several times faster than the json module
        self.client = Elasticsearch(url, request_timeout=timeout, max_retries=0, retry_on_timeout=False,
                                    serializer=OrjsonSerializer())

    def export(self, records: list[Record]) -> ExportResult:
        """Send ``records`` in one bulk request and classify every item; BackendError on a non-retryable refusal."""
        if not records:
            return ExportResult()
        body = b"".join([r.bulk_lines for r in records])
        try:
            response = self.client.bulk(operations=body, filter_path=_FILTER)
        except (TransportConnectionError, ConnectionTimeout) as e:
            return ExportResult(retry=list(records), retry_reason=f"transport: {type(e).__name__}")
        except ApiError as e:
            if e.status_code == 413:
                return self._too_large(records)
            if _is_retryable(e.status_code):
                return ExportResult(retry=list(records), retry_reason=f"bulk status {e.status_code}")
            raise BackendError("elasticsearch", f"bulk refused: {e.message}", status=e.status_code) from e
        if not response.get("errors"):
            return ExportResult(acked=list(records))
        return classify_items(records, response["items"])

    def _too_large(self, records: list[Record]) -> ExportResult:
        """A body over ``http.max_content_length``: send each half on its own; a single record is dead."""
        if len(records) == 1:
            return ExportResult(dead=[(records[0], f"413 request too large: {len(records[0].bulk_lines)} bytes")])
        half = len(records) // 2
        result = ExportResult()
        for part in (records[:half], records[half:]):
            got = self.export(part)
            result.acked += got.acked
            result.retry += got.retry
            result.dead += got.dead
            result.retry_reason = got.retry_reason or result.retry_reason
        return result

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()
