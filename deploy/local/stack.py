"""The native loopback stack: ``up`` installs and starts what is missing, ``status``, ``down``.

A part already running from this home's pid file is left alone, so a second ``up`` does
nothing. Ports are checked before anything starts: a taken port is a ``PortInUse``.
"""
from __future__ import annotations

import random
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields

from rich.console import Console

from console.errors import PortInUse, StartError
from deploy.local import install, kubebuild, kubeparts, process, sysuser
from deploy.local.layout import HOST, SERVICES, Layout, Ports, load_extras, save_ports
from deploy.local.parts import PARTS, Options, Part

HEALTH_TIMEOUT = 120.0  # Elasticsearch alone needs about 20 s on two cores
EXTRAS = ("kubernetes",)
# parts that must be healthy before another starts: the apiserver gives up on an etcd it cannot reach,
# and its start writes the kubeconfigs the other Kubernetes parts read
NEEDS = {"kube-apiserver": ("etcd",), "kube-controller-manager": ("kube-apiserver",),
         "kube-scheduler": ("kube-apiserver",), "kwok": ("kube-apiserver",)}


@dataclass(frozen=True)
class PartStatus:
    """Health of one part as its own health endpoint reports it."""

    name: str
    url: str
    healthy: bool


def parts_for(extras: tuple[str, ...] | list[str]) -> tuple[Part, ...]:
    """The six parts, plus the Kubernetes control plane when ``extras`` names it."""
    return PARTS + (kubeparts.KUBE_PARTS if "kubernetes" in extras else ())


def up(layout: Layout, ports: Ports, *, wait: bool = True, scrape_interval: str = "5s",
       jaeger_storage: str = "memory", extras: tuple[str, ...] = (), base: bool = True,
       console: Console | None = None, timeout: float = HEALTH_TIMEOUT) -> list[str]:
    """Install what is missing and start every part not yet running (``extras``: also ``kubernetes``); what was done.

    ``base=False`` leaves out the six usual parts: only the optional ones are installed and started.
    """
    console = console or Console(stderr=True)
    unknown = set(extras) - set(EXTRAS)
    if unknown:
        raise ValueError(f"unknown optional part {sorted(unknown)[0]!r}; one of {', '.join(EXTRAS)}")
    # an optional part started earlier stays part of this stack while it runs
    extras = tuple(sorted(set(extras) | {e for e in load_extras(layout) if _extra_running(layout, e)}))
    parts = parts_for(extras)[0 if base else len(PARTS):]
    options = Options(scrape_interval=scrape_interval, jaeger_storage=jaeger_storage)
    to_start = [part for part in parts if not process.is_running(layout, part.name)]
    for part in to_start:
        for port in part.ports(ports):
            if not port_free(port):
                raise PortInUse(part.name, port)
    done = install.install_all(console) if base else []
    if "kubernetes" in extras:
        done += kubebuild.ensure_kubernetes(console)
    layout.ensure()
    needs = dict(NEEDS, jaeger=("elasticsearch",) if jaeger_storage == "elasticsearch" else ())
    for part in to_start:
        if needs.get(part.name):
            _wait_healthy(layout, ports, [p for p in parts if p.name in needs[part.name]], timeout, console)
        launch = part.launch(layout, ports, options)
        process.start(layout, part.name, launch.argv, env=launch.env, cwd=launch.cwd, user=launch.user)
        done.append(f"started {part.name}")
    save_ports(layout, ports, extras=extras)
    if "kubernetes" in extras:
        # the fake nodes are objects in the apiserver: it must be up (and kwok, to make them Ready)
        _wait_healthy(layout, ports, list(kubeparts.KUBE_PARTS), timeout, console)
        done += kubeparts.register_nodes(layout)
    if wait:
        _wait_healthy(layout, ports, list(parts), timeout, console)
    return done


def status(layout: Layout, ports: Ports) -> list[PartStatus]:
    """Each part's URL and whether its health endpoint answers well (probed concurrently)."""
    parts = parts_for(load_extras(layout))
    with ThreadPoolExecutor(max_workers=len(parts)) as pool:
        health = list(pool.map(lambda part: part.healthy(ports), parts))
    return [PartStatus(part.name, part.url(ports), ok) for part, ok in zip(parts, health)]


def down(layout: Layout, *, timeout: float = 15.0) -> list[str]:
    """Stop every process started under this home (stack parts and shop replicas alike)."""
    names = process.recorded_names(layout)
    if not names:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(names))) as pool:
        stopped = list(pool.map(lambda name: process.stop(layout, name, timeout=timeout), names))
    left = process.running_names(layout)
    if left:
        raise StartError(left[0], "still running after stack down")
    return [f"stopped {name}" for name, was in zip(names, stopped) if was]


def purge(layout: Layout) -> None:
    """Stop everything under this home and delete its data kept outside the home (tests' cleanup)."""
    down(layout)
    sysuser.remove_private_dirs(layout)


def port_free(port: int) -> bool:
    """Whether nothing listens on loopback ``port`` (TIME_WAIT leftovers do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def free_ports(*, attempts: int = 200) -> Ports:
    """Free loopback ports for every part (nginx gets a run of five), so a demo is never touched."""
    held: list[socket.socket] = []
    try:
        chosen: dict[str, int] = {}
        for f in fields(Ports):
            if f.name in ("nginx", "alertmanager_cluster"):
                continue
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(sock)
            sock.bind((HOST, 0))
            chosen[f.name] = sock.getsockname()[1]
        taken = set(chosen.values())
        rng = random.Random()
        for _ in range(attempts):
            base = rng.randrange(20000, 30000)
            block = range(base, base + len(SERVICES))
            if taken.isdisjoint(block) and all(port_free(p) for p in block):
                return Ports(**chosen, nginx=base, alertmanager_cluster=0)
        raise StartError("nginx", f"no {len(SERVICES)} consecutive free ports found")
    finally:
        for sock in held:
            sock.close()


def _extra_running(layout: Layout, extra: str) -> bool:
    return any(process.is_running(layout, part.name) for part in parts_for((extra,))[len(PARTS):])


def _wait_healthy(layout: Layout, ports: Ports, waiting: list[Part], timeout: float, console: Console) -> None:
    deadline = time.monotonic() + timeout
    pending = list(waiting)
    with console.status("waiting for " + ", ".join(p.name for p in pending)) as spinner:
        while pending:
            for part in list(pending):
                if part.healthy(ports):
                    pending.remove(part)
                elif not process.is_running(layout, part.name):
                    raise StartError(part.name, f"exited; log: {_log_tail(layout, part.name)}")
            if not pending:
                return
            if time.monotonic() > deadline:
                part = pending[0]
                raise StartError(part.name, f"not healthy after {timeout:.0f} s; log: {_log_tail(layout, part.name)}")
            spinner.update("waiting for " + ", ".join(p.name for p in pending))
            time.sleep(0.5)


def _log_tail(layout: Layout, name: str, lines: int = 3) -> str:
    """The last lines of a part's log, on one line, for an error message."""
    try:
        text = layout.log_file(name).read_text(errors="replace")
    except OSError:
        return "(no log)"
    tail = [line.strip()[:300] for line in text.strip().splitlines()[-lines:]]
    return " | ".join(tail) or "(empty log)"
