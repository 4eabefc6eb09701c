"""The shipper's promises under trouble, against the real Elasticsearch: nothing lost, nothing twice.

Each test writes numbered lines (``request N``) while the trouble happens, then checks that
Elasticsearch holds every number exactly once.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from collectors.logship.config import load_config
from collectors.logship.metrics import Metrics
from collectors.logship.shipper import Shipper
from logship_kit import PausableProxy, Writer, append, checkpoint_offsets, documents, ecs_line, wait_for

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[2]


def assert_each_line_once(es, prefix: str, written: int) -> None:
    docs = documents(es, prefix, ["message"])
    numbers = sorted(int(d["message"].removeprefix("request ")) for d in docs)
    assert len({d["_id"] for d in docs}) == len(docs), "an _id appears twice"
    assert numbers == list(range(written)), f"{len(docs)} documents for {written} lines"


class Running:
    """A shipper in a thread of this process, with its metrics."""

    def __init__(self, config_path: Path):
        self.metrics = Metrics()
        self.shipper = Shipper(load_config(config_path), metrics=self.metrics)
        self.thread = threading.Thread(target=self.shipper.run)
        self.thread.start()

    def shipped(self) -> float:
        return self.metrics.registry.get_sample_value("logship_lines_shipped_total")

    def stop(self) -> None:
        self.shipper.stop()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()


def test_it_ships_every_line_once_across_a_30_second_outage(tmp_path, es, index_prefix, write_config, elasticsearch_url):
    proxy = PausableProxy(("127.0.0.1", int(elasticsearch_url.rsplit(":", 1)[1])))
    config = write_config(elasticsearch={"url": f"http://127.0.0.1:{proxy.port}"})
    writer = Writer(tmp_path / "logs" / "gateway.log", total=8000, rate=200)
    running = Running(config)
    try:
        writer.start()
        wait_for(lambda: running.shipped() >= 500, what="shipping before the outage")
        proxy.pause()
        before = running.shipped()
        time.sleep(30)
        assert running.shipped() == before  # nothing got through: a real outage
        assert running.metrics.registry.get_sample_value("logship_lines_retried_total") > 0
        proxy.resume()
        writer.join(timeout=60)
        wait_for(lambda: running.shipped() == writer.written, timeout=60, what="the drain")
    finally:
        running.stop()
        proxy.close()
    assert writer.written == 8000
    assert_each_line_once(es, index_prefix, writer.written)


def start_shipper(config: Path) -> subprocess.Popen:
    with open(config.parent / "shipper.log", "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "collectors.logship", "--config", str(config)], cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT)


def test_it_loses_and_duplicates_nothing_when_killed_three_times_in_100k_lines(tmp_path, es, index_prefix, write_config):
    total = 100_000
    log = tmp_path / "logs" / "gateway.log"
    config = write_config(batch={"max_lines": 1000, "max_bytes": 1 << 20, "max_age_seconds": 0.2}, max_in_flight_bytes=8 << 20)
    checkpoints = tmp_path / "checkpoints"
    shipper = start_shipper(config)
    written = 0
    try:
        for kill in range(3):
            # A quarter of the lines, then a kill once some (not all) of them are acknowledged.
            chunk = [ecs_line("gateway", n) for n in range(written, written + total // 4)]
            append(log, chunk)
            written += len(chunk)
            acked = sum(checkpoint_offsets(checkpoints).values()) if (checkpoints / "checkpoints.json").exists() else 0
            wait_for(lambda: (checkpoints / "checkpoints.json").exists() and sum(checkpoint_offsets(checkpoints).values()) > acked,
                     timeout=60, what=f"progress before kill {kill + 1}")
            shipper.send_signal(signal.SIGKILL)
            shipper.wait(timeout=10)
            assert sum(checkpoint_offsets(checkpoints).values()) < log.stat().st_size
            shipper = start_shipper(config)
        append(log, [ecs_line("gateway", n) for n in range(written, total)])
        written = total
        wait_for(lambda: checkpoint_offsets(checkpoints) == {str(log): log.stat().st_size}, timeout=120, what="the drain")
    finally:
        shipper.send_signal(signal.SIGTERM)
        shipper.wait(timeout=30)
    assert (tmp_path / "shipper.log").read_text().count("Traceback") == 0
    assert_each_line_once(es, index_prefix, written)


@pytest.mark.parametrize("kind, paths", [
    pytest.param("rename", ["*.log"], id="rename: the old file read through its descriptor"),
    pytest.param("copytruncate", ["*.log", "*.log.1"], id="copytruncate: the rest read from the copy"),
])
def test_it_loses_nothing_across_rotations_while_writing(tmp_path, es, index_prefix, write_config, kind, paths):
    logs = tmp_path / "logs"
    config = write_config(paths=[str(logs / p) for p in paths], close_inactive_seconds=1.0)
    writer = Writer(logs / "gateway.log", total=6000, rate=1500)
    running = Running(config)
    try:
        writer.start()
        for at in (1000, 2500, 4000):
            wait_for(lambda: writer.written >= at, what=f"{at} lines written")
            writer.rotate(kind)
        writer.join(timeout=30)
        assert writer.rotations == [kind] * 3
        wait_for(lambda: running.shipped() == writer.written, timeout=60, what="every line shipped")
        if kind == "rename":
            # the files renamed out of the globs are closed once quiet, and their checkpoints dropped
            wait_for(lambda: list(checkpoint_offsets(tmp_path / "checkpoints")) == [str(logs / "gateway.log")],
                     timeout=15, what="only the current file's checkpoint")
    finally:
        running.stop()
    assert_each_line_once(es, index_prefix, writer.written)
