"""The pipeline: tail → parse → enrich → batch → sink → checkpoint, in two threads.

The reader thread tails, parses, enriches and batches; the sender thread ships batches in
order and moves the checkpoints. Between them sits a queue bounded in bytes: while the sink
cannot ship, the queue fills and the reader stops reading (backpressure), so no line is
ever dropped; unread lines simply stay in their files.
"""
from __future__ import annotations

import json
import logging
import random
import socket
import threading
import time
from collections import deque
from datetime import datetime, timezone

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout

from collectors.logship.batch import Batch
from collectors.logship.checkpoint import Checkpoints
from collectors.logship.config import Config
from collectors.logship.deadletter import DeadLetters
from collectors.logship.enrich import enrich
from collectors.logship.metrics import Metrics
from collectors.logship.parse import parse_line
from collectors.logship.record import Record, document_id, index_name
from collectors.logship.sink import ElasticsearchSink
from collectors.logship.tail import Line, Tailer
from collectors.logship.template import install_template
from console.errors import BackendUnavailable

__all__ = ["Shipper", "backoff"]

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 10.0  # after a stop, how long unsent batches may still retry


def backoff(attempt: int, *, base: float = 0.1, cap: float = 10.0, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): exponential, capped, with jitter."""
    delay = min(cap, base * 2 ** (attempt - 1))
    return delay * (0.5 + 0.5 * (rng or random).random())


class _Abandoned(Exception):
    """Stopping while Elasticsearch is unreachable: the unsent lines are read again next start."""


class Shipper:
    """Ships the lines of the configured files to Elasticsearch, resuming from the checkpoints."""

    def __init__(self, config: Config, *, host: str | None = None, metrics: Metrics | None = None, retry_limit: int | None = None):
        self.config = config
        self.host = host or socket.gethostname()
        self.metrics = metrics or Metrics()
        self.retry_limit = retry_limit  # None: retry until stopped
        self.checkpoints = Checkpoints(config.checkpoint_dir)
        self.dead_letters = DeadLetters(config.dead_letter_path)
        self.sink = ElasticsearchSink(config.elasticsearch.url)
        self._stop = threading.Event()
        self._stopped_at: float | None = None
        self._cond = threading.Condition()
        self._queue: deque[Batch] = deque()
        self._in_flight = 0
        self._reading_done = False
        self._error: BaseException | None = None
        self._labelled: set[str] = set()

    def stop(self) -> None:
        """Ask the shipper to flush what it has read and return from ``run``; safe from a signal handler."""
        if self._stopped_at is None:
            self._stopped_at = time.monotonic()
        self._stop.set()

    def run(self, *, once: bool = False) -> None:
        """Ship until stopped, or with ``once`` until every complete line present has been shipped."""
        try:
            self._call_with_retries(lambda: install_template(self.sink.client, self.config.index_prefix))
            tailer = Tailer(self.config.paths, self.checkpoints.load())
        except _Abandoned:
            self.sink.close()
            return
        except BaseException:
            self.sink.close()
            raise
        sender = threading.Thread(target=self._send_loop, name="logship-sender", daemon=True)
        sender.start()
        try:
            self._read_loop(tailer, once=once)
        finally:
            with self._cond:
                self._reading_done = True
                self._cond.notify_all()
            sender.join()
            self._update_bytes_behind(tailer)
            tailer.close()
            self.sink.close()
        if self._error is not None:
            raise self._error

    # -- reader -------------------------------------------------------------------------

    def _new_batch(self) -> Batch:
        b = self.config.batch
        return Batch(max_lines=b.max_lines, max_bytes=b.max_bytes, max_age=b.max_age_seconds)

    def _read_loop(self, tailer: Tailer, *, once: bool) -> None:
        batch = self._new_batch()
        limit = self.config.max_in_flight_bytes
        while not self._stop.is_set():
            tailer.scan()
            self._update_bytes_behind(tailer)
            with self._cond:
                room = limit - self._in_flight - batch.bytes
            lines = tailer.read(min(room, self.config.batch.max_bytes)) if room > 0 else None
            now = datetime.now(timezone.utc)
            for line in lines or ():
                record = self._record(line, now)
                if not batch.fits(record):
                    batch = self._submit(batch)
                batch.add(record, time.monotonic())
                if batch.is_full():
                    batch = self._submit(batch)
            if batch.is_due(time.monotonic()):
                batch = self._submit(batch)
            if lines == [] and once:
                break
            if not lines:
                # Idle (nothing new) or blocked (no room): wait for data, room, a stop or the batch's age.
                wait = self.config.poll_interval_seconds
                if batch.records:
                    wait = min(wait, max(0.0, batch.started + batch.max_age - time.monotonic()))
                with self._cond:
                    self._cond.wait(timeout=wait)
        if batch.records:
            self._submit(batch)

    def _record(self, line: Line, now: datetime) -> Record:
        self.metrics.lines_read.inc()
        doc, malformed = parse_line(line.raw, now)
        if malformed:
            self.metrics.lines_malformed.inc()
        doc = enrich(doc, host=self.host, path=line.path, offset=line.offset, ingested=now)
        # ASCII escapes keep any lone surrogate from a \\ud800 escape encodable.
        source = json.dumps(doc, separators=(",", ":")).encode()
        index = index_name(self.config.index_prefix, doc.get("@timestamp"), now)
        return Record(line.identity, line.path, line.offset, line.end, index, document_id(line.identity, line.offset), source)

    def _submit(self, batch: Batch) -> Batch:
        with self._cond:
            self._queue.append(batch)
            self._in_flight += batch.bytes
            self._cond.notify_all()
        return self._new_batch()

    def _update_bytes_behind(self, tailer: Tailer) -> None:
        current = set()
        for identity, path, size in tailer.files():
            self.metrics.bytes_behind.labels(file=path).set(max(0, size - self.checkpoints.offset(identity)))
            current.add(path)
        for gone in self._labelled - current:
            self.metrics.bytes_behind.remove(gone)
        self._labelled = current

    # -- sender -------------------------------------------------------------------------

    def _send_loop(self) -> None:
        try:
            while True:
                with self._cond:
                    self._cond.wait_for(lambda: self._queue or self._reading_done)
                    if not self._queue:
                        return
                    batch = self._queue[0]
                self._ship(batch)
                with self._cond:
                    self._queue.popleft()
                    self._in_flight -= batch.bytes
                    self._cond.notify_all()
        except _Abandoned:
            log.warning("stopping with %d unsent batch(es); they are read again at the next start", len(self._queue))
        except BaseException as e:  # surfaced by run() in the main thread
            self._error = e
            self.stop()

    def _ship(self, batch: Batch) -> None:
        started = time.monotonic()
        pending = batch.records
        attempt = 0
        while pending:
            result = self.sink.export(pending)
            self.metrics.lines_shipped.inc(len(result.acked))
            if result.dead:
                self.dead_letters.write(result.dead, datetime.now(timezone.utc))
                self.metrics.lines_dead_lettered.inc(len(result.dead))
                for record, reason in result.dead:
                    log.warning("dead-lettered %s offset %d: %s", record.path, record.offset, reason)
            pending = result.retry
            if pending:
                attempt += 1
                self._before_retry(attempt, result.retry_reason)
                self.metrics.bulk_retries.inc()
        self.checkpoints.advance(batch.ends())
        self.metrics.batch_seconds.observe(time.monotonic() - started)

    def _call_with_retries(self, call):
        attempt = 0
        while True:
            try:
                return call()
            except (TransportConnectionError, ConnectionTimeout) as e:
                attempt += 1
                self._before_retry(attempt, f"transport: {type(e).__name__}")

    def _before_retry(self, attempt: int, reason: str) -> None:
        """Sleep the backoff, or give up: past ``retry_limit``, or past the grace after a stop."""
        if self.retry_limit is not None and attempt > self.retry_limit:
            raise BackendUnavailable("elasticsearch", f"{self.config.elasticsearch.url}: still failing after {self.retry_limit} retries ({reason})")
        delay = backoff(attempt)
        log.warning("elasticsearch not accepting (%s); retry %d in %.1fs", reason, attempt, delay)
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline:
            if self._stopped_at is not None and time.monotonic() - self._stopped_at > SHUTDOWN_GRACE_SECONDS:
                raise _Abandoned()
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
