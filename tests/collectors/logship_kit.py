"""Helpers for the shipper's integration tests: write ECS lines, count what Elasticsearch holds."""
from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

# Two UTC days, so every run writes to two daily indices.
DAYS = ("2025-01-01T23:59:59.000Z", "2025-01-02T00:00:01.000Z")


def ecs_line(service: str, n: int) -> bytes:
    """One ECS JSON log line."""
    doc = {
        "@timestamp": DAYS[n % 2],
        "log.level": "info",
        "message": f"request {n}",
        "service.name": service,
        "service.node.name": f"{service}-1",
        "trace.id": f"{n:032x}",
        "span.id": f"{n:016x}",
        "http.response.status_code": 200,
    }
    return json.dumps(doc).encode() + b"\n"


def append(path: Path, lines: list[bytes]) -> None:
    """Append whole lines to a log file."""
    with open(path, "ab") as f:
        f.write(b"".join(lines))


def documents(es, prefix: str, fields: list[str]) -> list[dict]:
    """``_id`` and ``fields`` of every document under ``prefix``, after a refresh."""
    es.indices.refresh(index=f"{prefix}-*")
    hits = []
    page = es.search(index=f"{prefix}-*", size=5000, sort=["_doc"], source=fields, scroll="1m")
    try:
        while page["hits"]["hits"]:
            hits.extend({"_id": h["_id"], **h["_source"]} for h in page["hits"]["hits"])
            page = es.scroll(scroll_id=page["_scroll_id"], scroll="1m")
    finally:
        es.options(ignore_status=404).clear_scroll(scroll_id=page["_scroll_id"])  # 404: nothing was left open
    return hits


def shipped(es, prefix: str) -> list[tuple[str, int]]:
    """``(log.file.path, log.offset)`` of every document under ``prefix``, after a refresh."""
    return [(d["log.file.path"], d["log.offset"]) for d in documents(es, prefix, ["log.file.path", "log.offset"])]


def wait_for(predicate, timeout: float = 30.0, what: str = "condition"):
    """Poll ``predicate`` every 0.1 s until it returns something true; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not true within {timeout}s")


class Writer(threading.Thread):
    """An application writing numbered ECS lines to ``path`` at about ``rate`` lines/s, rotating on request.

    ``rotate(kind)`` is carried out by the writer itself between two lines: ``"rename"``
    (rename to ``.1``, write ``linger`` more lines to the old file, then reopen, as a logger
    does on SIGHUP) or ``"copytruncate"`` (copy to ``.1``, truncate, go on: with no line
    written between copy and truncate, the loss window of that method is empty).
    """

    def __init__(self, path: Path, *, total: int, rate: float, linger: int = 20):
        super().__init__(daemon=True)
        self.path, self.total, self.rate, self.linger = path, total, rate, linger
        self.written = 0
        self.rotations: list[str] = []
        self._requests: list[str] = []
        self._lock = threading.Lock()

    def rotate(self, kind: str) -> None:
        """Ask for a rotation before the next line."""
        with self._lock:
            self._requests.append(kind)

    def run(self) -> None:
        f = open(self.path, "ab", buffering=0)
        started = time.monotonic()
        try:
            while self.written < self.total:
                with self._lock:
                    kind = self._requests.pop(0) if self._requests else None
                if kind == "rename":
                    self.path.rename(self.path.with_name(self.path.name + ".1"))
                    for _ in range(min(self.linger, self.total - self.written)):
                        self._write(f)
                    f.close()
                    f = open(self.path, "ab", buffering=0)
                elif kind == "copytruncate":
                    shutil.copyfile(self.path, self.path.with_name(self.path.name + ".1"))
                    os.truncate(self.path, 0)
                if kind:
                    self.rotations.append(kind)
                self._write(f)
                ahead = self.written / self.rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
        finally:
            f.close()

    def _write(self, f) -> None:
        if self.written < self.total:
            f.write(ecs_line("gateway", self.written))
            self.written += 1


def checkpoint_offsets(checkpoint_dir: Path) -> dict[str, int]:
    """Path → acknowledged offset, from the shipper's checkpoint file."""
    raw = json.loads((checkpoint_dir / "checkpoints.json").read_text())
    return {v["path"]: v["offset"] for v in raw.values()}


def sizes(log_dir: Path) -> dict[str, int]:
    """Path → size of every log file."""
    return {str(p): p.stat().st_size for p in sorted(log_dir.glob("*.log"))}


class PausableProxy:
    """A TCP relay to the real Elasticsearch that can cut it off, to play an outage on loopback."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self.paused = threading.Event()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.server.accept()
            except TimeoutError:
                continue
            if self.paused.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.upstream, timeout=5)
            with self._lock:
                self._open += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                t = threading.Thread(target=self._pump, args=(src, dst), daemon=True)
                t.start()
                self._threads.append(t)

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(1 << 16):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(src, dst)

    def _drop(self, *socks: socket.socket) -> None:
        with self._lock:
            for s in socks:
                if s in self._open:
                    self._open.remove(s)
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    s.close()

    def pause(self) -> None:
        """Refuse new connections and cut the open ones."""
        self.paused.set()
        with self._lock:
            open_now = list(self._open)
        self._drop(*open_now)

    def resume(self) -> None:
        """Relay again."""
        self.paused.clear()

    def close(self) -> None:
        """Stop relaying and release every socket."""
        self._closed.set()
        self.pause()
        for t in self._threads:
            t.join(timeout=5)
        self.server.close()


class SizeLimitProxy:
    """An HTTP relay to the real Elasticsearch that answers 413, as Elasticsearch does past its
    ``http.max_content_length``, to any request body over ``limit`` bytes; counts those refusals."""

    def __init__(self, upstream: str, limit: int):
        relay = self
        self.refused = 0
        self._client = httpx.Client(base_url=upstream, timeout=30)

        class Handler(BaseHTTPRequestHandler):
            def _relay(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if len(body) > limit:
                    relay.refused += 1
                    answer = b'{"error":{"type":"content_too_long"},"status":413}'
                    self.send_response(413)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("X-Elastic-Product", "Elasticsearch")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                upstream = relay._client.request(self.command, self.path, content=body, headers=headers)
                self.send_response(upstream.status_code)
                for name, value in upstream.headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding", "content-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(upstream.content)))
                self.end_headers()
                self.wfile.write(upstream.content)

            do_GET = do_POST = do_PUT = do_HEAD = _relay

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self._thread.join(5)
        self.server.server_close()
        self._client.close()
