"""The shipper's own Prometheus metrics, in a registry of its own so several shippers can coexist."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

__all__ = ["Metrics"]


class Metrics:
    """Counters of lines through the pipeline, bytes behind per file, bulk duration; optionally served."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.lines_read = Counter("logship_lines_read_total", "Complete lines read from files.", registry=r)
        self.lines_shipped = Counter("logship_lines_shipped_total", "Events (lines, or joined multi-line events) acknowledged by Elasticsearch.", registry=r)
        self.lines_malformed = Counter("logship_lines_malformed_total", "Lines that were not JSON objects, kept as text.", registry=r)
        self.lines_dead_lettered = Counter("logship_lines_dead_lettered_total", "Events Elasticsearch refused for good, written to the dead-letter file.", registry=r)
        self.lines_retried = Counter("logship_lines_retried_total", "Events sent again after a retryable failure (429, 5xx, timeout, connection).", registry=r)
        self.bulk_retries = Counter("logship_bulk_retries_total", "Bulk requests sent again after a retryable failure.", registry=r)
        self.bytes_behind = Gauge("logship_bytes_behind", "Bytes of a file not yet acknowledged by Elasticsearch.", ["file"], registry=r)
        self.batch_latency = Histogram("logship_batch_latency_seconds", "Time to ship one batch, retries included.",
                                       buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120), registry=r)
        self._server = None
        self._thread = None

    def serve(self, host: str, port: int) -> int:
        """Serve ``/metrics`` on ``host:port`` in a background thread; returns the bound port (useful with 0)."""
        self._server, self._thread = start_http_server(port, addr=host, registry=self.registry)
        return self._server.server_address[1]

    def close(self) -> None:
        """Stop serving, if serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None
