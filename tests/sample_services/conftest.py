"""Fixtures of the shop's tests: a real redis-server of their own, apps served over real HTTP."""
from __future__ import annotations

import io
import shutil
import socket
import subprocess
import threading
import time

import pytest
import redis
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from werkzeug.serving import make_server

from sample_services.telemetry import Telemetry


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unused_port():
    """A function returning a loopback port free right now."""
    return free_port


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A redis-server started for this test session on a free port, without persistence."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
    client.close()
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def rdb(redis_url):
    """A client of the test Redis, emptied before each test."""
    client = redis.Redis.from_url(redis_url)
    client.flushall()
    yield client
    client.close()


class Shop:
    """Spans and log lines of the apps a test builds, shared so one trace spans several apps."""

    def __init__(self, redis_url: str, tmp_path):
        self.redis_url = redis_url
        self.tmp_path = tmp_path
        self.spans = InMemorySpanExporter()
        self.logs = io.StringIO()
        self._servers: list = []

    def config(self, service: str, **extra) -> dict:
        """An app config: the test Redis, in-memory spans, logs into ``self.logs``."""
        telemetry = Telemetry(service, replica=f"{service}-1", enabled=True, span_exporter=self.spans,
                              log_stream=self.logs)
        return {"REDIS_URL": self.redis_url, "TELEMETRY": telemetry, "DATA_DIR": str(self.tmp_path), **extra}

    def serve(self, app) -> str:
        """Serve ``app`` over real HTTP on a free loopback port in a thread; returns its URL."""
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()


@pytest.fixture
def shop(redis_url, rdb, tmp_path):
    """A ``Shop`` for building and serving apps against the test Redis."""
    s = Shop(redis_url, tmp_path)
    yield s
    s.close()
