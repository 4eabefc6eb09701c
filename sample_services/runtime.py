"""Local replicas of the shop: one gunicorn process per replica, behind nginx, scraped via file_sd.

The replicas of a stack home are remembered in ``<run>/replicas.json`` so that ``services up``
with other counts only adds or removes the difference, and ``services down`` finds them all.
"""
from __future__ import annotations

import json
import os
import socket
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from collectors.file_sd import write_targets
from console.errors import StackNotRunning, StartError, UsageProblem
from deploy.local import nginx, process
from deploy.local.layout import HOST, SERVICES, Layout, Ports, load_ports, service_port

ROOT = Path(__file__).resolve().parents[1]
LOGSHIP = "logship"
THREADS = 8
HEALTH_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True, order=True)
class Replica:
    """One running process of a service."""

    service: str
    name: str
    port: int

    @property
    def url(self) -> str:
        """Where this replica answers directly (not through nginx)."""
        return f"http://{HOST}:{self.port}"


def parse_replicas(specs: list[str] | tuple[str, ...]) -> dict[str, int]:
    """``["gateway=3", ...]`` to ``{"gateway": 3}``; bad syntax, unknown names or negatives raise ``UsageProblem``."""
    counts: dict[str, int] = {}
    for spec in specs:
        name, sep, raw = spec.partition("=")
        if not sep or not name or not raw:
            raise UsageProblem(f"--replicas takes NAME=N, got {spec!r}")
        if name not in SERVICES:
            raise UsageProblem(f"unknown service {name!r} in --replicas (one of: {', '.join(SERVICES)})")
        if not raw.isdigit():
            raise UsageProblem(f"--replicas {name} needs a whole number >= 0, got {raw!r}")
        counts[name] = int(raw)
    return counts


def plan(live: list[Replica], desired: dict[str, int]) -> tuple[list[tuple[str, str]], list[Replica]]:
    """What to change: (service, name) pairs to start with the lowest free numbers, and replicas to stop
    (the highest-numbered first)."""
    start: list[tuple[str, str]] = []
    stop: list[Replica] = []
    for service, want in desired.items():
        mine = sorted((r for r in live if r.service == service), key=lambda r: _number(r.name))
        if len(mine) > want:
            stop += mine[want:]
        taken = {_number(r.name) for r in mine}
        n = 1
        while len(mine) + sum(1 for s, _ in start if s == service) < want:
            if n not in taken:
                start.append((service, f"{service}-{n}"))
            n += 1
    return start, stop


def _number(name: str) -> int:
    return int(name.rsplit("-", 1)[1])


def _state_file(layout: Layout) -> Path:
    return layout.run / "replicas.json"


def _load_state(layout: Layout) -> dict:
    try:
        return json.loads(_state_file(layout).read_text())
    except FileNotFoundError:
        return {"counts": {}, "replicas": []}


def live_replicas(layout: Layout) -> list[Replica]:
    """The recorded replicas whose process runs."""
    return [r for r in load_replicas(layout) if process.is_running(layout, r.name)]


def load_replicas(layout: Layout) -> list[Replica]:
    """The replicas recorded for this home (running or not)."""
    return [Replica(**r) for r in _load_state(layout)["replicas"]]


def _save(layout: Layout, counts: dict[str, int], replicas: list[Replica]) -> None:
    layout.run.mkdir(parents=True, exist_ok=True)
    tmp = _state_file(layout).with_suffix(".tmp")
    state = {"counts": counts, "replicas": [asdict(r) for r in sorted(replicas)]}
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(_state_file(layout))


def _free_port(taken: set[int]) -> int:
    for _ in range(50):
        with socket.socket() as s:
            s.bind((HOST, 0))
            port = s.getsockname()[1]
        if port not in taken:
            taken.add(port)
            return port
    raise StartError("shop", "no free loopback port")


def replica_env(layout: Layout, ports: Ports, name: str) -> dict[str, str]:
    """The environment of one replica: its names, files, Redis, peers (through nginx) and OTLP endpoint."""
    env = {
        "OPSCONSOLE_REPLICA": name,
        "OPSCONSOLE_LOG_FILE": str(layout.service_logs / f"{name}.log"),
        "OPSCONSOLE_DATA_DIR": str(layout.data / "shop"),
        "OPSCONSOLE_REDIS_URL": f"redis://{HOST}:{ports.redis}/0",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{HOST}:{ports.jaeger_otlp_http}",
        "OTEL_BSP_SCHEDULE_DELAY": "1000",
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
    }
    for peer in SERVICES[1:]:
        env[f"OPSCONSOLE_{peer.upper()}_URL"] = f"http://{HOST}:{service_port(ports, peer)}"
    return env


def _start(layout: Layout, ports: Ports, service: str, name: str, port: int) -> Replica:
    argv = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--workers", "1",
            "--threads", str(THREADS), "--bind", f"{HOST}:{port}", "--graceful-timeout", "5",
            "--log-level", "warning", f"sample_services.{service}:create_app()"]
    process.start(layout, name, argv, env=replica_env(layout, ports, name), cwd=ROOT)
    return Replica(service, name, port)


def _wait_healthy(layout: Layout, replicas: list[Replica]) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_SECONDS
    waiting = list(replicas)
    with httpx.Client(timeout=1.0) as http:
        while waiting:
            replica = waiting[0]
            if not process.is_running(layout, replica.name):
                raise StartError(replica.name, f"exited; see {layout.log_file(replica.name)}")
            try:
                if http.get(f"{replica.url}/healthz").status_code == 200:
                    waiting.pop(0)
                    continue
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise StartError(replica.name, f"not healthy after {HEALTH_TIMEOUT_SECONDS:.0f} s")
            time.sleep(0.1)


def _publish(layout: Layout, ports: Ports, replicas: list[Replica]) -> None:
    """Point nginx upstreams and Prometheus targets at exactly these replicas."""
    nginx.apply_upstreams(layout, ports, {s: [r.port for r in replicas if r.service == s] for s in SERVICES})
    write_targets(layout.file_sd / "shop.json",
                  [{"targets": [f"{HOST}:{r.port}"], "labels": {"service": r.service, "replica": r.name}}
                   for r in sorted(replicas)])


def services_up(layout: Layout, ports: Ports, replicas: dict[str, int]) -> list[Replica]:
    """Run ``replicas[service]`` replicas of each service (others keep their last count, or 1), healthy,
    published to nginx and Prometheus, plus the log shipper; returns the replicas now running."""
    if not process.is_running(layout, "nginx"):
        # replicas need the stack's nginx, Redis and Jaeger: never start them into a void
        raise StackNotRunning(str(layout.home))
    layout.ensure()
    state = _load_state(layout)
    live = live_replicas(layout)
    # The last asked-for counts are the target, so a crashed replica is replaced and a 0 stays 0.
    desired = {s: replicas.get(s, state["counts"].get(s, 1)) for s in SERVICES}
    to_start, to_stop = plan(live, desired)
    taken = {r.port for r in live}
    started = [_start(layout, ports, service, name, _free_port(taken)) for service, name in to_start]
    _save(layout, state["counts"], live + started)
    try:
        _wait_healthy(layout, started)
    except StartError:
        for replica in started:
            process.stop(layout, replica.name)
        _save(layout, state["counts"], live)
        raise
    keep = [r for r in live if r not in to_stop] + started
    # Take replicas out of nginx before stopping them, so no request is sent to a dying one.
    _publish(layout, ports, keep)
    for replica in to_stop:
        process.stop(layout, replica.name)
    _save(layout, desired, keep)
    if not process.is_running(layout, LOGSHIP):
        # Imported here: the package pulls in the Elasticsearch client, which `opsconsole fault` never needs.
        from collectors.logship.config import write_demo_config

        config = write_demo_config(layout, ports)
        process.start(layout, LOGSHIP, [sys.executable, "-m", "collectors.logship", "--config", str(config)],
                      env={"PYTHONPATH": replica_env(layout, ports, LOGSHIP)["PYTHONPATH"]}, cwd=ROOT)
    return sorted(keep)


def services_down(layout: Layout) -> list[str]:
    """Stop every replica and the log shipper, and empty the upstreams and targets; returns the names stopped."""
    ports = load_ports(layout)
    replicas = load_replicas(layout)
    _publish(layout, ports, [])
    stopped = [r.name for r in replicas if process.stop(layout, r.name)]
    _save(layout, {}, [])
    if process.stop(layout, LOGSHIP):
        stopped.append(LOGSHIP)
    return stopped


def services_status(layout: Layout) -> list[dict]:
    """Each recorded replica with whether its process runs and its ``/healthz`` answers."""
    rows = []
    with httpx.Client(timeout=1.0) as http:
        for replica in load_replicas(layout):
            running = process.is_running(layout, replica.name)
            healthy = False
            if running:
                try:
                    healthy = http.get(f"{replica.url}/healthz").status_code == 200
                except httpx.HTTPError:
                    pass
            rows.append({**asdict(replica), "url": replica.url, "running": running, "healthy": healthy})
    return rows
