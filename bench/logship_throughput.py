"""The log shipper's throughput beside the raw ``_bulk`` ceiling and rsyslog, on one Elasticsearch, in one run.

Writes a file of ECS lines shaped like the shop's (about 300 bytes each), then measures:
1. the raw ceiling: the file's lines as pre-built ``_bulk`` bodies of the shipper's batch
   size, posted one after another by a minimal client; the same with ids left to
   Elasticsearch; and the same with the documents the shipper sends (each line enriched
   with the four fields it adds), the ceiling for what the shipper has to index;
2. the shipper end to end (``python -m collectors.logship --once``): file to acknowledged docs;
3. rsyslog (imfile → omelasticsearch, bulk mode, same batch size) on the same file.
``BENCH_ROUNDS`` rounds (2), each in the order opposite to the one before, so that the node's own
warming up favours no one. Prints each round's rates, then the means, the shipper's ratios and its
peak RSS. ``BENCH_LINES`` sets the size (500 000 by default). Each run writes its own index, deleted
once counted.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import orjson
import yaml
from elasticsearch import Elasticsearch

from bench import logship_rsyslog
from bench.common import private_stack
from collectors.logship.template import install_template

LINES = int(os.environ.get("BENCH_LINES", "500000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
BATCH_LINES = 1000


def ecs_line(i: int) -> bytes:
    """One log line like a shop replica writes."""
    trace = uuid.UUID(int=i * 7919 + 1).hex
    return json.dumps({
        "@timestamp": f"2026-11-25T10:{(i // 60000) % 60:02d}:{(i // 1000) % 60:02d}.{i % 1000:03d}Z",
        "log.level": "info" if i % 20 else "error", "message": f"GET /api/products/{i % 50} 200",
        "service.name": "catalog", "service.node.name": "catalog-1", "trace.id": trace, "span.id": trace[:16],
        "http.request.method": "GET", "http.response.status_code": 200, "url.path": f"/api/products/{i % 50}",
    }, separators=(",", ":")).encode() + b"\n"


def enriched(lines: list[bytes], path: Path) -> list[bytes]:
    """The documents the shipper makes of ``lines``: each with the four fields its enrich stage adds."""
    out, offset = [], 0
    for line in lines:
        doc = orjson.loads(line)
        doc |= {"host.name": "bench-host", "log.file.path": str(path), "log.offset": offset,
                "event.ingested": "2026-11-25T10:00:00.000Z"}
        out.append(orjson.dumps(doc) + b"\n")
        offset += len(line)
    return out


def count(es_url: str, pattern: str) -> int:
    httpx.post(f"{es_url}/{pattern}/_refresh", timeout=120)
    return httpx.get(f"{es_url}/{pattern}/_count", timeout=60).json()["count"]


def drop(es_url: str, pattern: str) -> None:
    """Delete the indices a run wrote, so the next run does not share the node with their merges."""
    names = httpx.get(f"{es_url}/_cat/indices/{pattern}", params={"h": "index"}, timeout=60).text.split()
    if names:
        httpx.delete(f"{es_url}/{','.join(names)}", timeout=120).raise_for_status()


def raw_bulk_rate(es_url: str, lines: list[bytes], *, ids: bool = True) -> float:
    """Documents per second of pre-built ``_bulk`` bodies posted sequentially.

    ``ids``: ``create`` with our own ``_id`` as the shipper sends (Elasticsearch must look
    each id up); without, ``index`` with ids Elasticsearch makes up, as rsyslog sends.
    """
    index = f"logs-opsconsole-bench-raw{uuid.uuid4().hex[:8]}-2026.11.25"
    bodies = []
    for start in range(0, len(lines), BATCH_LINES):
        body = bytearray()
        for n, line in enumerate(lines[start:start + BATCH_LINES], start):
            if ids:
                body += b'{"create":{"_index":"%s","_id":"raw-%d"}}\n' % (index.encode(), n)
            else:
                body += b'{"index":{"_index":"%s"}}\n' % index.encode()
            body += line
        bodies.append(bytes(body))
    with httpx.Client(timeout=120, headers={"Content-Type": "application/x-ndjson"}) as client:
        started = time.perf_counter()
        for body in bodies:
            # Only "errors" comes back, as the shipper asks for only what it checks.
            answer = client.post(f"{es_url}/_bulk", content=body, params={"filter_path": "errors"})
            answer.raise_for_status()
            assert not answer.json()["errors"]
        elapsed = time.perf_counter() - started
    assert count(es_url, index) == len(lines)
    drop(es_url, index)
    return len(lines) / elapsed


def shipper_rate(es_url: str, work: Path, log_file: Path, lines: int) -> tuple[float, float]:
    """Documents per second of the shipper with ``--once`` on the file, and its peak RSS in MB."""
    prefix = f"logs-opsconsole-bench{uuid.uuid4().hex[:8]}"
    config = work / "logship.yml"
    config.write_text(yaml.safe_dump({
        "paths": [str(log_file)], "elasticsearch": {"url": es_url}, "index_prefix": prefix,
        # checkpoints of its own: a run must read the whole file, not resume where the last one stopped
        "checkpoint_dir": str(work / f"checkpoints-{prefix}"), "dead_letter_path": str(work / "dead.ndjson"),
        "batch": {"max_lines": BATCH_LINES}, "metrics": {"listen": "127.0.0.1:0"},
    }))
    started = time.perf_counter()
    shipper = subprocess.Popen([sys.executable, "-m", "collectors.logship", "--config", str(config), "--once"])
    peak_kb = 0
    # VmHWM is the shipper's own high-water mark since its exec. (wait4's ru_maxrss is not:
    # it also counts this parent's pages, mapped in the child between fork and exec.)
    while shipper.poll() is None:
        peak_kb = max(peak_kb, _high_water_kb(shipper.pid))
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    assert shipper.returncode == 0, f"shipper exited {shipper.returncode}"
    shipped = count(es_url, f"{prefix}-*")
    assert shipped == lines, f"{shipped} of {lines} documents"
    drop(es_url, f"{prefix}-*")
    return lines / elapsed, peak_kb / 1024


def _high_water_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            return next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), 0)
    except (FileNotFoundError, ProcessLookupError):
        return 0  # exited between poll() and here


def rsyslog_rate(es_url: str, work: Path, log_file: Path, lines: int) -> float:
    """Documents per second of rsyslog (imfile → omelasticsearch) on the file."""
    index = f"logs-opsconsole-bench-rsyslog{uuid.uuid4().hex[:8]}-2026.11.25"
    # a work directory of its own: imfile keeps there how far it read, and each run reads the whole file
    elapsed = logship_rsyslog.ship_file(work / f"rsyslog-{index}", log_file, es_url, index, lines, batch_lines=BATCH_LINES)
    drop(es_url, index)
    return lines / elapsed


def main() -> None:
    logship_rsyslog.install()
    with tempfile.TemporaryDirectory(prefix="opsconsole-bench-logship-") as tmp, private_stack() as (_, ports):
        work = Path(tmp)
        es_url = f"http://127.0.0.1:{ports.elasticsearch}"
        # Every index of the run gets the shipper's template (keywords, no replica), the raw ones
        # too: without it they were dynamically mapped (text plus keyword for every string, one
        # replica), a costlier index than the one the shipper and rsyslog write.
        with Elasticsearch(es_url) as client:
            install_template(client, "logs-opsconsole")
        lines = [ecs_line(i) for i in range(LINES)]
        log_file = work / "catalog-1.log"
        log_file.write_bytes(b"".join(lines))
        documents = enriched(lines, log_file)
        enriched_bytes = sum(map(len, documents)) / len(documents)
        print(f"{LINES} lines, {log_file.stat().st_size / LINES:.0f} bytes each on average")
        raw_bulk_rate(es_url, lines[:50_000])  # warm-up: the first run must not pay for a cold node
        contenders = {
            "raw": lambda: raw_bulk_rate(es_url, lines),
            "raw_auto_ids": lambda: raw_bulk_rate(es_url, lines, ids=False),
            "raw_enriched": lambda: raw_bulk_rate(es_url, documents),
            "shipper": lambda: shipper_rate(es_url, work, log_file, LINES),
            "rsyslog": lambda: rsyslog_rate(es_url, work, log_file, LINES),
        }
        rates: dict[str, list[float]] = {name: [] for name in contenders}
        peaks = []
        # Elasticsearch keeps getting faster for minutes (its JIT, its caches): every round runs
        # the contenders in the order opposite to the round before, so none gains from going last.
        for n in range(ROUNDS):
            for name in (list(contenders) if n % 2 == 0 else reversed(contenders)):
                got = contenders[name]()
                if name == "shipper":
                    got, peak_mb = got
                    peaks.append(peak_mb)
                rates[name].append(got)
            print(f"round {n + 1}: " + ", ".join(f"{name} {rate[-1]:.0f}" for name, rate in rates.items()) + " docs/s")
        raw, raw_auto_ids, raw_enriched, shipped, rsyslog = (statistics.mean(rates[name]) for name in contenders)
        print(f"means of {ROUNDS} rounds:")
        print(f"raw _bulk ceiling   {raw:10.0f} docs/s   (create with our _id, as the shipper)")
        print(f"raw _bulk, auto ids {raw_auto_ids:10.0f} docs/s   (index, ids made by Elasticsearch, as rsyslog)")
        print(f"raw _bulk, enriched {raw_enriched:10.0f} docs/s   (create with our _id, the documents the shipper sends:"
              f" {enriched_bytes:.0f} bytes, host.name, log.file.path, log.offset, event.ingested added)")
        print(f"logship end to end  {shipped:10.0f} docs/s   ratio to ceiling {shipped / raw:.2f} (goal >= 0.80),"
              f" to the enriched ceiling {shipped / raw_enriched:.2f}")
        print(f"rsyslog             {rsyslog:10.0f} docs/s   logship / rsyslog {shipped / rsyslog:.2f} (goal >= 1.00)")
        print(f"logship peak RSS    {max(peaks):10.0f} MB      (goal <= 150)")


if __name__ == "__main__":
    main()
