"""Where the local stack keeps things, and which loopback ports it uses.

Two roots: the cache (downloads and builds, shared by every clone) and the home
(runtime state of one stack: configs, data, logs, pid files). The ports chosen at
``stack up`` are written to ``<home>/stack.json`` so that later commands
(``services``, ``fault``, ``load``, ``serve``) talk to the same stack.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"


def cache_dir() -> Path:
    """Downloads and builds: ``OPSCONSOLE_CACHE`` or ``~/.cache/opsconsole``."""
    return Path(os.environ.get("OPSCONSOLE_CACHE") or Path.home() / ".cache" / "opsconsole").absolute()


def home_dir() -> Path:
    """Runtime state: ``OPSCONSOLE_HOME`` or ``./.opsconsole``."""
    return Path(os.environ.get("OPSCONSOLE_HOME") or ".opsconsole").absolute()


@dataclass(frozen=True)
class Ports:
    """Every loopback port the stack binds. Each is overridable by ``OPSCONSOLE_<NAME>_PORT``."""

    prometheus: int = 9090
    alertmanager: int = 9093
    alertmanager_cluster: int = 0  # 0: clustering off (no gossip on 9094)
    elasticsearch: int = 9200
    elasticsearch_transport: int = 9300
    jaeger_query: int = 16686
    jaeger_query_grpc: int = 16685
    jaeger_otlp_grpc: int = 4317
    jaeger_otlp_http: int = 4318
    jaeger_health: int = 13133
    jaeger_metrics: int = 8888
    nginx: int = 8000  # the gateway's public port; internal services follow at +1..+4
    redis: int = 6379
    console: int = 8080
    logship_metrics: int = 9465
    # the optional Kubernetes control plane (`stack up --with kubernetes`)
    etcd: int = 2379
    etcd_peer: int = 2380
    kube_apiserver: int = 6443
    kube_controller_manager: int = 10257
    kube_scheduler: int = 10259
    kwok: int = 10247

    @classmethod
    def from_env(cls, base: Ports | None = None) -> Ports:
        """Defaults (or ``base``), then any ``OPSCONSOLE_<NAME>_PORT`` from the environment."""
        base = base or cls()
        changes = {}
        for field in dataclasses.fields(cls):
            raw = os.environ.get(f"OPSCONSOLE_{field.name.upper()}_PORT")
            if raw:
                changes[field.name] = int(raw)
        return dataclasses.replace(base, **changes)

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


SERVICES = ("gateway", "catalog", "orders", "inventory", "payments")


def service_port(ports: Ports, service: str) -> int:
    """The nginx port in front of one shop service: gateway on ``nginx``, the rest after it."""
    return ports.nginx + SERVICES.index(service)


@dataclass(frozen=True)
class Layout:
    """Paths of one stack's runtime state under its home."""

    home: Path

    @property
    def state_file(self) -> Path:
        return self.home / "stack.json"

    @property
    def run(self) -> Path:
        return self.home / "run"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def service_logs(self) -> Path:
        """ECS JSON log files, one per shop replica; the log shipper tails these."""
        return self.home / "logs" / "services"

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def config(self) -> Path:
        return self.home / "config"

    @property
    def file_sd(self) -> Path:
        """Prometheus file_sd target files, one per scrape job."""
        return self.home / "file_sd"

    @property
    def rules(self) -> Path:
        """Alert rule files that Prometheus loads (``rule_files``)."""
        return self.home / "rules"

    @property
    def kubernetes(self) -> Path:
        """The control plane's certificates, keys, tokens and kubeconfigs (private keys 0600)."""
        return self.home / "kubernetes"

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig of the local control plane."""
        return self.kubernetes / "admin.kubeconfig"

    def pid_file(self, name: str) -> Path:
        return self.run / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def ensure(self) -> None:
        for path in (self.run, self.logs, self.service_logs, self.data, self.config, self.file_sd, self.rules):
            path.mkdir(parents=True, exist_ok=True)


def save_ports(layout: Layout, ports: Ports, *, extras: tuple[str, ...] = ()) -> None:
    """Record the ports of a started stack, and its optional parts (``extras``), so later commands find them."""
    layout.home.mkdir(parents=True, exist_ok=True)
    tmp = layout.state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"ports": ports.as_dict(), "extras": sorted(extras)}, indent=2) + "\n")
    tmp.replace(layout.state_file)


def load_extras(layout: Layout) -> tuple[str, ...]:
    """The optional parts (``kubernetes``) the stack under ``layout.home`` was started with."""
    if layout.state_file.exists():
        return tuple(json.loads(layout.state_file.read_text()).get("extras", ()))
    return ()


def load_ports(layout: Layout) -> Ports:
    """The ports of the stack under ``layout.home``, or the environment's defaults if none was started."""
    if layout.state_file.exists():
        saved = json.loads(layout.state_file.read_text()).get("ports", {})
        known = {f.name for f in dataclasses.fields(Ports)}
        return Ports(**{k: v for k, v in saved.items() if k in known})
    return Ports.from_env()


def current() -> tuple[Layout, Ports]:
    """Layout and ports of the stack this process works with."""
    layout = Layout(home_dir())
    return layout, load_ports(layout)
