"""The pipeline: tail → (join multi-line events) → parse → enrich → batch → sink → checkpoint, in two threads.

The reader thread tails, joins, parses, enriches and batches; ``max_bulk_in_flight`` sender
threads take batches in order, ship them concurrently (each with its own connection), and
move the checkpoints only over a run of acknowledged batches: a batch acknowledged before an
earlier one waits for it, so a checkpoint never passes a line that is not acknowledged.
Between reader and senders sits a queue bounded in bytes:
while the sink cannot ship, the queue fills and the reader stops reading (backpressure), so
no line is ever dropped; unread lines simply stay in their files.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from collections import deque
from datetime import datetime, timezone

from collectors.logship.batch import Batch
from collectors.logship.checkpoint import Checkpoints
from collectors.logship.config import Config
from collectors.logship.deadletter import DeadLetters
from collectors.logship.enrich import enrich
from collectors.logship.metrics import Metrics
from collectors.logship.multiline import Joiner, MultilineRule
from collectors.logship.parse import encode_document, format_timestamp, parse_line, text_document
from collectors.logship.record import Record, file_prefix, id_in_file, index_name
from collectors.logship.retry import Abandoned, Retry
from collectors.logship.sink import ElasticsearchSink
from collectors.logship.tail import Line, Tailer
from collectors.logship.template import install_template

__all__ = ["Shipper"]

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 10.0  # after a stop, how long unsent batches may still retry


class Shipper:
    """Ships the lines of the configured files to Elasticsearch, resuming from the checkpoints."""

    def __init__(self, config: Config, *, host: str | None = None, metrics: Metrics | None = None, retry_limit: int | None = None):
        self.config = config
        self.host = host or socket.gethostname()
        self.metrics = metrics or Metrics()
        self.retry = Retry(target=config.elasticsearch.url, limit=retry_limit, abandon=self._past_grace)
        self.checkpoints = Checkpoints(config.checkpoint_dir)
        self.dead_letters = DeadLetters(config.dead_letter_path)
        self.sink = ElasticsearchSink(config.elasticsearch.url)
        m = config.multiline
        self.joiner = None if m is None else Joiner(MultilineRule(
            m.pattern, negate=m.negate, max_lines=m.max_lines, max_bytes=config.max_line_bytes, flush_after=m.flush_seconds))
        self._stop = threading.Event()
        self._stopped_at: float | None = None
        self._cond = threading.Condition()
        self._queue: deque[Batch] = deque()
        # Batches taken by a sender, in reading order: [what acknowledging it covers, acknowledged yet].
        self._taken: deque[list] = deque()
        self._in_flight = 0
        self._reading_done = False
        self._error: BaseException | None = None
        self._labelled: set[str] = set()

    def stop(self) -> None:
        """Ask the shipper to flush what it has read and return from ``run``; safe from a signal handler."""
        if self._stopped_at is None:
            self._stopped_at = time.monotonic()
        self._stop.set()

    def _past_grace(self) -> bool:
        return self._stopped_at is not None and time.monotonic() - self._stopped_at > SHUTDOWN_GRACE_SECONDS

    def run(self, *, once: bool = False) -> None:
        """Ship until stopped, or with ``once`` until every complete line present has been shipped."""
        try:
            self.retry.call(lambda: install_template(self.sink.client, self.config.index_prefix))
            tailer = Tailer(self.config.paths, self.checkpoints.load(), max_line_bytes=self.config.max_line_bytes,
                            close_after=self.config.close_inactive_seconds)
        except Abandoned:
            self.sink.close()
            return
        except BaseException:
            self.sink.close()
            raise
        senders = [threading.Thread(target=self._send_loop, name=f"logship-sender-{n}", daemon=True)
                   for n in range(self.config.max_bulk_in_flight)]
        for sender in senders:
            sender.start()
        try:
            self._read_loop(tailer, once=once)
        finally:
            with self._cond:
                self._reading_done = True
                self._cond.notify_all()
            for sender in senders:
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
            for identity, end in tailer.take_closed():
                self.checkpoints.retire(identity, end)
            self._update_bytes_behind(tailer)
            with self._cond:
                room = limit - self._in_flight - batch.bytes
            lines = tailer.read(min(room, self.config.batch.max_bytes)) if room > 0 else None
            if lines:
                self.metrics.lines_read.inc(len(lines))
            batch = self._add(batch, self._events(lines or [], time.monotonic()))
            if batch.is_due(time.monotonic()):
                batch = self._submit(batch)
            if lines == [] and once:
                break
            if not lines:
                # Idle (nothing new) or blocked (no room): wait for data, room, a stop, or a deadline.
                wait = self.config.poll_interval_seconds
                for due in (batch.started + batch.max_age if batch.records else None,
                            self.joiner.next_due() if self.joiner else None):
                    if due is not None:
                        wait = min(wait, max(0.0, due - time.monotonic()))
                with self._cond:
                    self._cond.wait(timeout=wait)
        if self.joiner is not None:
            batch = self._add(batch, self.joiner.flush())
        if batch.records:
            self._submit(batch)

    def _events(self, lines: list[Line], now: float) -> list[Line]:
        """Lines as events: each line, or with a multiline rule the events it finished or that fell due."""
        if self.joiner is None:
            return lines
        events = [event for line in lines for event in self.joiner.feed(line, now)]
        return events + self.joiner.due(now)

    def _add(self, batch: Batch, events: list[Line]) -> Batch:
        now = datetime.now(timezone.utc)
        ingested = format_timestamp(now)  # one clock reading per read, not per line
        run = id_prefix = None
        for line in events:
            if line.identity is not run:  # lines come in runs from one file: its id prefix is found once a run
                run, id_prefix = line.identity, file_prefix(line.identity)
            record = self._record(line, now, ingested, id_prefix)
            if not batch.fits(record):
                batch = self._submit(batch)
            batch.add(record, time.monotonic())
            if batch.is_full():
                batch = self._submit(batch)
        return batch

    def _record(self, line: Line, now: datetime, ingested: str, id_prefix: str) -> Record:
        doc, malformed = parse_line(line.raw, now, truncated=line.truncated)
        if malformed:
            self.metrics.lines_malformed.inc()
        try:
            source = encode_document(enrich(doc, host=self.host, path=line.path, offset=line.offset, ingested=ingested))
        except ValueError:  # parsed, yet too deeply nested to write back: kept as its text
            self.metrics.lines_malformed.inc()
            doc = text_document(line.raw, now, truncated=line.truncated)
            source = encode_document(enrich(doc, host=self.host, path=line.path, offset=line.offset, ingested=ingested))
        index = index_name(self.config.index_prefix, doc.get("@timestamp"), now)
        return Record(line.identity, line.path, line.offset, line.end, index, id_in_file(id_prefix, line.offset), source)

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
                    self._cond.wait_for(lambda: self._queue or self._reading_done or self._error is not None)
                    if not self._queue or self._error is not None:
                        return
                    batch = self._queue.popleft()
                    taken = [batch.ends(), False]
                    self._taken.append(taken)
                self._ship(batch)
                with self._cond:
                    taken[1] = True
                    self._in_flight -= batch.bytes
                    acknowledged = []
                    while self._taken and self._taken[0][1]:
                        acknowledged.append(self._taken.popleft()[0])
                    self._cond.notify_all()
                if acknowledged:
                    # Outside the lock: the write is slow (fsync). Checkpoints only move forward, so
                    # two senders saving runs in the other order cannot move one back.
                    self.checkpoints.advance(*acknowledged)
        except Abandoned:
            log.warning("stopping with %d unsent batch(es); they are read again at the next start", len(self._queue))
        except BaseException as e:  # surfaced by run() in the main thread
            self._error = e
            self.stop()
            with self._cond:
                self._cond.notify_all()

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
                self.retry.wait(attempt, result.retry_reason)
                self.metrics.bulk_retries.inc()
                self.metrics.lines_retried.inc(len(pending))
        self.metrics.batch_latency.observe(time.monotonic() - started)
