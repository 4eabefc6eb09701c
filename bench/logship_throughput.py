"""The log shipper's throughput beside the raw ``_bulk`` ceiling, on one Elasticsearch, in one run.

Writes a file of ECS lines shaped like the shop's (about 300 bytes each), then measures:
1. the raw ceiling: the same documents as pre-built ``_bulk`` bodies of the shipper's batch
   size, posted one after another by a minimal client;
2. the shipper end to end (``python -m collectors.logship --once``): file to acknowledged docs.
Prints both rates, their ratio and the shipper's peak RSS. ``BENCH_LINES`` sets the size.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import yaml

from bench.common import private_stack

LINES = int(os.environ.get("BENCH_LINES", "200000"))
BATCH_LINES = 1000


def ecs_line(i: int) -> bytes:
    """One log line like a shop replica writes."""
    trace = uuid.UUID(int=i * 7919 + 1).hex
    return json.dumps({
        "@timestamp": f"2026-11-25T10:{(i // 60000) % 60:02d}:{(i // 1000) % 60:02d}.{i % 1000:03d}Z",
        "log.level": "info" if i % 20 else "error", "message": f"GET /api/products/{i % 50} 200",
        "ecs.version": "1.6.0", "service.name": "catalog", "service.node.name": "catalog-1",
        "trace.id": trace, "span.id": trace[:16], "http.request.method": "GET",
        "http.response.status_code": 200, "url.path": f"/api/products/{i % 50}", "event.duration": 1200345,
    }, separators=(",", ":")).encode() + b"\n"


def count(es_url: str, pattern: str) -> int:
    httpx.post(f"{es_url}/{pattern}/_refresh", timeout=120)
    return httpx.get(f"{es_url}/{pattern}/_count", timeout=60).json()["count"]


def raw_bulk_rate(es_url: str, lines: list[bytes]) -> float:
    """Documents per second of pre-built ``_bulk`` bodies posted sequentially."""
    index = f"logs-opsconsole-bench-raw{uuid.uuid4().hex[:8]}-2026.11.25"
    bodies = []
    for start in range(0, len(lines), BATCH_LINES):
        body = bytearray()
        for n, line in enumerate(lines[start:start + BATCH_LINES], start):
            body += b'{"create":{"_index":"%s","_id":"raw-%d"}}\n' % (index.encode(), n)
            body += line
        bodies.append(bytes(body))
    with httpx.Client(timeout=120, headers={"Content-Type": "application/x-ndjson"}) as client:
        started = time.perf_counter()
        for body in bodies:
            answer = client.post(f"{es_url}/_bulk", content=body)
            answer.raise_for_status()
            assert not answer.json()["errors"]
        elapsed = time.perf_counter() - started
    assert count(es_url, index) == len(lines)
    return len(lines) / elapsed


def shipper_rate(es_url: str, work: Path, log_file: Path, lines: int) -> tuple[float, float]:
    """Documents per second of the shipper with ``--once`` on the file, and its peak RSS in MB."""
    prefix = f"logs-opsconsole-bench{uuid.uuid4().hex[:8]}"
    config = work / "logship.yml"
    config.write_text(yaml.safe_dump({
        "paths": [str(log_file)], "elasticsearch": {"url": es_url}, "index_prefix": prefix,
        "checkpoint_dir": str(work / "checkpoints"), "dead_letter_path": str(work / "dead.ndjson"),
        "batch": {"max_lines": BATCH_LINES}, "metrics": {"listen": "127.0.0.1:0"},
    }))
    started = time.perf_counter()
    shipper = subprocess.Popen([sys.executable, "-m", "collectors.logship", "--config", str(config), "--once"])
    # wait4 gives this one child's own resource usage, peak RSS included.
    _, status, usage = os.wait4(shipper.pid, 0)
    elapsed = time.perf_counter() - started
    shipper.returncode = os.waitstatus_to_exitcode(status)
    assert shipper.returncode == 0, f"shipper exited {shipper.returncode}"
    peak_mb = usage.ru_maxrss / 1024
    shipped = count(es_url, f"{prefix}-*")
    assert shipped == lines, f"{shipped} of {lines} documents"
    return lines / elapsed, peak_mb


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="opsconsole-bench-logship-") as tmp, private_stack() as (_, ports):
        work = Path(tmp)
        es_url = f"http://127.0.0.1:{ports.elasticsearch}"
        lines = [ecs_line(i) for i in range(LINES)]
        log_file = work / "catalog-1.log"
        log_file.write_bytes(b"".join(lines))
        print(f"{LINES} lines, {log_file.stat().st_size / LINES:.0f} bytes each on average")
        raw = raw_bulk_rate(es_url, lines)
        shipped, peak_mb = shipper_rate(es_url, work, log_file, LINES)
        print(f"raw _bulk ceiling   {raw:10.0f} docs/s")
        print(f"logship end to end  {shipped:10.0f} docs/s   ratio to ceiling {shipped / raw:.2f}")
        print(f"logship peak RSS    {peak_mb:10.0f} MB")


if __name__ == "__main__":
    main()
