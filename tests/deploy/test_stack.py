"""The real loopback stack in a home of its own: up, up again, status, Jaeger's sockets, down."""
from __future__ import annotations

import io
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from deploy.local import nginx, process, stack, sysuser
from deploy.local.layout import Layout, Ports, home_dir
from deploy.local.parts import PARTS

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Layout, Ports, list[str]]]:
    """A freshly started stack on free ports, and what its first ``up`` did."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OPSCONSOLE_HOME", str(tmp_path_factory.mktemp("stack") / "home"))
        layout, ports = Layout(home_dir()), stack.free_ports()
        try:
            yield layout, ports, stack.up(layout, ports, console=_quiet())
        finally:
            stack.purge(layout)


def test_it_starts_every_part_healthy(started):
    layout, ports, done = started
    assert [line for line in done if line.startswith("started ")] == [f"started {p.name}" for p in PARTS]
    statuses = stack.status(layout, ports)
    assert [(s.name, s.healthy) for s in statuses] == [(p.name, True) for p in PARTS]
    assert layout.state_file.exists()


def test_it_does_nothing_on_a_second_up(started):
    layout, ports, _ = started
    assert stack.up(layout, ports, console=_quiet()) == []


def test_it_binds_jaeger_only_to_loopback_on_our_ports(started):
    layout, ports, _ = started
    pid = process.read_pid(layout, "jaeger")
    listening = subprocess.run(["ss", "-Hltnup"], capture_output=True, text=True, check=True).stdout
    addresses = {line.split()[4] for line in listening.splitlines() if f"pid={pid}," in line}
    expected = {ports.jaeger_query, ports.jaeger_query_grpc, ports.jaeger_otlp_grpc, ports.jaeger_otlp_http,
                ports.jaeger_health, ports.jaeger_metrics}
    assert addresses == {f"127.0.0.1:{port}" for port in expected}


def test_it_runs_elasticsearch_unprivileged(started):
    layout, _, _ = started
    uid = _uid(process.read_pid(layout, "elasticsearch"))
    assert uid != 0
    if sysuser.is_root():
        assert (layout.data / "elasticsearch").is_symlink()


def test_it_reloads_nginx_onto_new_replicas(started):
    layout, ports, _ = started
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        nginx.apply_upstreams(layout, ports, {"gateway": [server.server_address[1]]})
        reply = httpx.get(f"http://127.0.0.1:{ports.nginx}/", headers={"traceparent": _TRACEPARENT}, timeout=5)
        assert (reply.status_code, reply.text) == (200, _TRACEPARENT)
        nginx.apply_upstreams(layout, ports, {})
        assert httpx.get(f"http://127.0.0.1:{ports.nginx}/", timeout=5).status_code == 503
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_it_leaves_no_process_behind_after_down(started):
    layout, _, _ = started
    leaders = [process.read_pid(layout, name) for name in process.recorded_names(layout)]
    assert len(leaders) == len(PARTS)
    stack.down(layout)
    assert not [pid for pid in leaders if process.group_alive(pid)]
    markers = (str(layout.home), str(sysuser.private_dir(layout, "elasticsearch")))
    assert _processes_mentioning(markers) == []
    assert stack.down(layout) == []


def test_it_purges_the_data_kept_outside_the_home(started):
    layout, _, _ = started
    outside = sysuser.private_dir(layout, "elasticsearch")
    stack.purge(layout)
    assert not outside.exists()


_TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


class _Hello(BaseHTTPRequestHandler):
    """A replica stand-in that echoes the traceparent it received."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = (self.headers.get("traceparent") or "").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def _quiet() -> Console:
    return Console(file=io.StringIO())


def _uid(pid: int | None) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line for pid {pid}")


def _processes_mentioning(markers: tuple[str, ...]) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(marker in text for marker in markers):
            found.append(text)
    return found
