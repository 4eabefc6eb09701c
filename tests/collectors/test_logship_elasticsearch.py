"""The shipper end to end against the real Elasticsearch (the ``elasticsearch_url`` fixture)."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from collectors.logship.config import load_config
from collectors.logship.metrics import Metrics
from collectors.logship.shipper import Shipper
from console.errors import BackendUnavailable
from logship_kit import PausableProxy, append, checkpoint_offsets, ecs_line, shipped, sizes, wait_for

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[2]


def start_shipper(config: Path, *extra: str) -> subprocess.Popen:
    """Run the shipper as a process; its output goes to ``shipper.log`` next to the config."""
    with open(config.parent / "shipper.log", "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "collectors.logship", "--config", str(config), *extra], cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_it_ships_every_line_once_with_our_template(tmp_path, es, index_prefix, write_config):
    logs = tmp_path / "logs"
    for i, service in enumerate(("gateway", "orders", "payments")):
        append(logs / f"{service}.log", [ecs_line(service, n) for n in range(150 + i * 50)])
    append(logs / "orders.log", [b"plain text, not JSON\n", b"bad utf-8 \xff\xfe\n", b"[1, 2]\n"])
    written = 150 + 200 + 250 + 3
    metrics = Metrics()
    Shipper(load_config(write_config()), metrics=metrics).run(once=True)

    docs = shipped(es, index_prefix)
    assert len(docs) == written
    assert len(set(docs)) == written
    assert checkpoint_offsets(tmp_path / "checkpoints") == sizes(logs)
    assert metrics.registry.get_sample_value("logship_lines_malformed_total") == 3
    assert metrics.registry.get_sample_value("logship_lines_shipped_total") == written
    assert metrics.registry.get_sample_value("logship_bytes_behind", {"file": str(logs / "orders.log")}) == 0

    index = f"{index_prefix}-2025.01.02"
    info = es.indices.get(index=index)[index]
    assert "data_stream" not in info
    assert info["settings"]["index"]["number_of_replicas"] == "0"
    props = info["mappings"]["properties"]
    assert props["trace"]["properties"]["id"]["type"] == "keyword"
    assert props["log"]["properties"]["offset"]["type"] == "long"
    hit = es.search(index=f"{index_prefix}-*", query={"term": {"log.level": "unknown"}}, size=5)["hits"]
    assert "bad utf-8 \ufffd\ufffd" in {h["_source"]["message"] for h in hit["hits"]}

    # A second run finds nothing new and adds nothing.
    Shipper(load_config(write_config())).run(once=True)
    assert len(shipped(es, index_prefix)) == written


def test_it_dead_letters_a_mapping_conflict_with_its_reason(tmp_path, es, index_prefix, write_config):
    logs = tmp_path / "logs"
    conflict = json.dumps({"@timestamp": "2025-01-02T00:00:00Z", "message": "odd", "http.response.status_code": "teapot"})
    append(logs / "a.log", [ecs_line("gateway", 1), conflict.encode() + b"\n", ecs_line("gateway", 3)])
    metrics = Metrics()
    Shipper(load_config(write_config()), metrics=metrics).run(once=True)

    assert len(shipped(es, index_prefix)) == 2
    (letter,) = [json.loads(line) for line in (tmp_path / "dead-letter.ndjson").read_text().splitlines()]
    assert "http.response.status_code" in letter["reason"]
    assert json.loads(letter["document"])["message"] == "odd"
    assert metrics.registry.get_sample_value("logship_lines_dead_lettered_total") == 1
    assert checkpoint_offsets(tmp_path / "checkpoints") == sizes(logs)


def test_it_flushes_and_serves_metrics_until_sigterm(tmp_path, es, index_prefix, write_config):
    logs = tmp_path / "logs"
    port = free_port()
    # Bounds no test reaches: only the shutdown flush can send these lines.
    config = write_config(batch={"max_lines": 10_000, "max_bytes": 1 << 20, "max_age_seconds": 3600}, metrics={"listen": f"127.0.0.1:{port}"})
    shipper = start_shipper(config)
    try:
        append(logs / "a.log", [ecs_line("gateway", n) for n in range(25)])

        def lines_read() -> bool:
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except httpx.TransportError:
                return False
            return "logship_lines_read_total 25.0" in text

        wait_for(lines_read)
        assert shipped(es, index_prefix) == []
        shipper.send_signal(signal.SIGTERM)
        assert shipper.wait(timeout=30) == 0
    finally:
        if shipper.poll() is None:
            shipper.kill()
            shipper.wait(timeout=10)
    assert len(shipped(es, index_prefix)) == 25
    assert checkpoint_offsets(tmp_path / "checkpoints") == sizes(logs)


def test_it_gives_up_a_one_shot_run_when_elasticsearch_is_unreachable(tmp_path, write_config):
    append(tmp_path / "logs" / "a.log", [ecs_line("gateway", 1)])
    config = load_config(write_config(elasticsearch={"url": f"http://127.0.0.1:{free_port()}"}))
    with pytest.raises(BackendUnavailable, match="still failing"):
        Shipper(config, retry_limit=1).run(once=True)
    assert not (tmp_path / "checkpoints" / "checkpoints.json").exists()


def test_it_exits_2_with_one_line_on_a_bad_config(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("paths: []\n")
    result = subprocess.run([sys.executable, "-m", "collectors.logship", "--config", str(bad)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, env=os.environ | {"PYTHONWARNINGS": "error"})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "paths" in result.stderr


def test_it_stops_reading_while_elasticsearch_is_away_and_catches_up_after(tmp_path, es, index_prefix, write_config, elasticsearch_url):
    proxy = PausableProxy(("127.0.0.1", int(elasticsearch_url.rsplit(":", 1)[1])))
    batch_bytes, in_flight = 64 << 10, 256 << 10
    config = load_config(write_config(elasticsearch={"url": f"http://127.0.0.1:{proxy.port}"},
                                      batch={"max_lines": 10_000, "max_bytes": batch_bytes, "max_age_seconds": 0.1},
                                      max_in_flight_bytes=in_flight))
    metrics = Metrics()
    shipper = Shipper(config, metrics=metrics)
    runner = threading.Thread(target=shipper.run)
    try:
        runner.start()
        wait_for(lambda: es.indices.exists_index_template(name="logs-opsconsole"))
        time.sleep(0.3)  # the template is in: the reader is tailing
        proxy.pause()
        lines = [ecs_line("gateway", n) for n in range(10_000)]
        append(tmp_path / "logs" / "a.log", lines)
        time.sleep(2)
        read = metrics.registry.get_sample_value("logship_lines_read_total")
        # Backpressure: about the in-flight bound plus one batch read, the rest left in the file.
        assert 0 < read * len(lines[0]) <= in_flight + batch_bytes
        assert metrics.registry.get_sample_value("logship_bulk_retries_total") >= 1
        proxy.resume()
        wait_for(lambda: metrics.registry.get_sample_value("logship_lines_shipped_total") == len(lines), timeout=60)
    finally:
        shipper.stop()
        runner.join(timeout=30)
        proxy.close()
    assert not runner.is_alive()
    assert len(set(shipped(es, index_prefix))) == len(lines) == len(shipped(es, index_prefix))
    assert checkpoint_offsets(tmp_path / "checkpoints") == sizes(tmp_path / "logs")
