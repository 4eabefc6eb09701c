"""Send made-up shop telemetry: spans to Jaeger over OTLP/HTTP (JSON), their log lines to Elasticsearch's
``_bulk`` under the shipper's index template. Bounded in count and in time; progress on stderr."""
from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import httpx
from elasticsearch import Elasticsearch

from collectors.logship.template import install_template
from sample_services.seed.documents import INDEX_PREFIX, index_name, iso, lines_per_span, otlp_request, span_lines
from sample_services.seed.shapes import Span, make_traces

SPAN_BATCH = 2000
LINE_BATCH = 5000
IN_FLIGHT = 2  # bulk requests at once: Elasticsearch indexes one while the next is built and sent
TIMEOUT = 120.0
DAY = 86400 * 1_000_000_000
SPAN_MARGIN = 10 * 1_000_000_000  # a trace started just before the end of the window ends within this


class SeedTimeout(RuntimeError):
    """Seeding took longer than it was allowed."""


@dataclass(frozen=True)
class Seeded:
    """What was sent: counts, the window the traces start in (ns), and a few trace ids to look for."""

    traces: int
    spans: int
    lines: int
    start_ns: int
    end_ns: int
    sample_trace_ids: list[str]


def seed(es_url: str, otlp_url: str, *, lines: int, spans: int, seed: int, end_ns: int, window_s: int = 3600,
         index_prefix: str = INDEX_PREFIX, max_seconds: float = 1800,
         progress: Callable[[str], None] | None = None) -> Seeded:
    """Make ``spans`` spans starting over the ``window_s`` before ``end_ns`` and ``lines`` log lines inside
    them; send both and refresh the indices, or raise ``SeedTimeout`` after ``max_seconds``."""
    say = progress or (lambda text: print(text, file=sys.stderr, flush=True))
    deadline = time.monotonic() + max_seconds
    start_ns = end_ns - window_s * 1_000_000_000
    traces = list(make_traces(random.Random(seed), spans=spans, start_ns=start_ns, end_ns=end_ns))
    flat = [span for trace in traces for span in trace]
    say(f"seed: {len(traces)} traces, {len(flat)} spans, {lines} log lines")
    send_spans(otlp_url, flat, deadline=deadline, say=say)
    # the days the lines fall on: the window's, and the next one when the last spans end after midnight
    days = sorted({iso(ns)[:10] for ns in range(start_ns, end_ns, DAY)} | {iso(end_ns + SPAN_MARGIN)[:10]})
    send_lines(es_url, log_documents(random.Random(f"{seed}-logs"), flat, lines), total=lines, days=days,
               index_prefix=index_prefix, deadline=deadline, say=say)
    return Seeded(len(traces), len(flat), lines, start_ns, end_ns, [t[0].trace_id for t in traces[-5:]])


def log_documents(rng: random.Random, spans: list[Span], lines: int) -> Iterator[dict]:
    """The ``lines`` log lines of ``spans``, span by span."""
    for span, count in zip(spans, lines_per_span(lines, len(spans))):
        yield from span_lines(rng, span, count)


def send_spans(otlp_url: str, spans: list[Span], *, deadline: float, say: Callable[[str], None]) -> None:
    """POST the spans as OTLP/JSON export requests of ``SPAN_BATCH`` spans."""
    started = time.monotonic()
    with httpx.Client(timeout=TIMEOUT) as http:
        for at in range(0, len(spans), SPAN_BATCH):
            _check(deadline)
            answer = http.post(otlp_url, content=json.dumps(otlp_request(spans[at:at + SPAN_BATCH])),
                               headers={"Content-Type": "application/json"})
            answer.raise_for_status()
            done = min(at + SPAN_BATCH, len(spans))
            if done == len(spans) or (at // SPAN_BATCH) % 10 == 9:
                say(f"seed: spans {done}/{len(spans)} sent to Jaeger ({time.monotonic() - started:.0f} s)")


def send_lines(es_url: str, documents: Iterable[dict], *, total: int, days: list[str], index_prefix: str,
               deadline: float, say: Callable[[str], None]) -> None:
    """Index the documents (stamped on ``days``, ``YYYY-MM-DD``) through ``_bulk``, ``IN_FLIGHT`` requests at
    a time, then refresh their indices."""
    with Elasticsearch(es_url, request_timeout=TIMEOUT) as es:
        install_template(es, index_prefix)
    started, sent, indices = time.monotonic(), 0, set()
    quiet = _quiet_new_indices(es_url, days, index_prefix)
    step = max(LINE_BATCH, total // 10 // LINE_BATCH * LINE_BATCH)
    pending: list[Future] = []
    with httpx.Client(base_url=es_url, timeout=TIMEOUT) as http, ThreadPoolExecutor(IN_FLIGHT) as pool:
        try:
            for body, count, names in _bulk_bodies(documents, index_prefix):
                _check(deadline)
                if len(pending) >= IN_FLIGHT:
                    pending.pop(0).result()
                pending.append(pool.submit(_post_bulk, http, body))
                sent, indices = sent + count, indices | names
                if sent % step == 0 or sent == total:
                    say(f"seed: log lines {sent}/{total} sent to Elasticsearch ({time.monotonic() - started:.0f} s)")
            for future in pending:
                future.result()
        finally:
            if quiet:  # searchable again even when seeding stopped half-way
                http.put(f"/{','.join(quiet)}/_settings", json={"index": {"refresh_interval": None}})
        if indices:
            http.post(f"/{','.join(sorted(indices))}/_refresh").raise_for_status()


def _quiet_new_indices(es_url: str, days: list[str], index_prefix: str) -> list[str]:
    """Create the daily indices that do not exist yet with refresh off (made searchable once, at the end);
    an index that exists already (the shipper's) keeps its settings. Returns the ones created."""
    created = []
    with httpx.Client(base_url=es_url, timeout=TIMEOUT) as http:
        for name in (index_name(day, index_prefix) for day in days):
            answer = http.put(f"/{name}", json={"settings": {"index": {"refresh_interval": "-1"}}})
            if answer.status_code == 200:
                created.append(name)
            elif "resource_already_exists_exception" not in answer.text:
                answer.raise_for_status()
    return created


def _bulk_bodies(documents: Iterable[dict], index_prefix: str) -> Iterator[tuple[bytes, int, set[str]]]:
    body, count, names, actions = bytearray(), 0, set(), {}
    for doc in documents:
        name = index_name(doc["@timestamp"], index_prefix)
        if name not in actions:
            # the index of a line follows its own day, as the shipper's does, so a window across midnight splits
            actions[name] = json.dumps({"index": {"_index": name}}).encode() + b"\n"
        names.add(name)
        body += actions[name] + json.dumps(doc, separators=(",", ":")).encode() + b"\n"
        count += 1
        if count == LINE_BATCH:
            yield bytes(body), count, names
            body, count, names = bytearray(), 0, set()
    if count:
        yield bytes(body), count, names


def _post_bulk(http: httpx.Client, body: bytes) -> None:
    answer = http.post("/_bulk", content=body, params={"filter_path": "errors,items.*.error"},
                       headers={"Content-Type": "application/x-ndjson"})
    answer.raise_for_status()
    result = answer.json()
    if result.get("errors"):
        raise RuntimeError(f"Elasticsearch refused lines: {json.dumps(result.get('items', [])[:1])[:300]}")


def _check(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise SeedTimeout("seeding took longer than allowed")
