"""The six parts of the stack: which ports each binds, how it starts, how its health is probed."""
from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from deploy.local import configs, elasticsearch, install, nginx
from deploy.local.layout import HOST, SERVICES, Layout, Ports


@dataclass(frozen=True)
class Launch:
    """What ``process.start`` needs to run one part."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    cwd: Path | None = None


@dataclass(frozen=True)
class Options:
    """Choices of one ``stack up`` that shape the parts' configs."""

    scrape_interval: str = "5s"
    jaeger_storage: str = "memory"


@dataclass(frozen=True)
class Part:
    """One program of the stack."""

    name: str
    ports: Callable[[Ports], list[int]]
    url: Callable[[Ports], str]
    healthy: Callable[[Ports], bool]
    launch: Callable[[Layout, Ports, Options], Launch]


def http_ok(url: str, *, timeout: float = 2.0) -> bool:
    """Whether ``url`` answers 200 within ``timeout``."""
    try:
        return httpx.get(url, timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def elasticsearch_ok(ports: Ports) -> bool:
    """Whether the node answers ``/_cluster/health`` with green or yellow."""
    try:
        reply = httpx.get(f"http://{HOST}:{ports.elasticsearch}/_cluster/health", timeout=2.0)
        return reply.status_code == 200 and reply.json().get("status") in ("green", "yellow")
    except (httpx.HTTPError, ValueError):
        return False


def redis_ok(ports: Ports) -> bool:
    """Whether Redis answers PING with PONG."""
    try:
        with socket.create_connection((HOST, ports.redis), timeout=2.0) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _prometheus(layout: Layout, ports: Ports, options: Options) -> Launch:
    configs.write_prometheus(layout, ports, scrape_interval=options.scrape_interval)
    return Launch(configs.prometheus_argv(layout, ports))


def _alertmanager(layout: Layout, ports: Ports, options: Options) -> Launch:
    configs.write_alertmanager(layout)
    return Launch(configs.alertmanager_argv(layout, ports))


def _elasticsearch(layout: Layout, ports: Ports, options: Options) -> Launch:
    instance = elasticsearch.prepare(layout, ports)
    return Launch(elasticsearch.argv(), elasticsearch.environment(instance), elasticsearch.user(), instance)


def _jaeger(layout: Layout, ports: Ports, options: Options) -> Launch:
    config = configs.write_jaeger(layout, ports, storage=options.jaeger_storage)
    # Jaeger traces its own queries to localhost:4317 by default, which may be a demo's Jaeger,
    # and those traces would crowd the shop's in the service list: sample none, and should
    # anything still be sent, send it to this instance's own receiver.
    own = {"OTEL_TRACES_SAMPLER": "always_off",
           "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{HOST}:{ports.jaeger_otlp_grpc}"}
    return Launch([str(install.jaeger_binary()), "--config", str(config)], env=own, cwd=config.parent)


def _nginx(layout: Layout, ports: Ports, options: Options) -> Launch:
    nginx.write(layout, ports, {})
    return Launch(nginx.argv(layout))


def _redis(layout: Layout, ports: Ports, options: Options) -> Launch:
    (layout.data / "redis").mkdir(parents=True, exist_ok=True)
    return Launch(configs.redis_argv(layout, ports))


def _url(field_name: str, scheme: str = "http") -> Callable[[Ports], str]:
    return lambda ports: f"{scheme}://{HOST}:{getattr(ports, field_name)}"


PARTS: tuple[Part, ...] = (
    Part("prometheus", lambda p: [p.prometheus], _url("prometheus"),
         lambda p: http_ok(f"http://{HOST}:{p.prometheus}/-/ready"), _prometheus),
    Part("alertmanager", lambda p: [p.alertmanager] + ([p.alertmanager_cluster] if p.alertmanager_cluster else []),
         _url("alertmanager"), lambda p: http_ok(f"http://{HOST}:{p.alertmanager}/-/ready"), _alertmanager),
    Part("elasticsearch", lambda p: [p.elasticsearch, p.elasticsearch_transport], _url("elasticsearch"),
         elasticsearch_ok, _elasticsearch),
    Part("jaeger", lambda p: [p.jaeger_query, p.jaeger_query_grpc, p.jaeger_otlp_grpc, p.jaeger_otlp_http,
                              p.jaeger_health, p.jaeger_metrics],
         _url("jaeger_query"), lambda p: http_ok(f"http://{HOST}:{p.jaeger_health}/status"), _jaeger),
    Part("nginx", lambda p: [p.nginx + i for i in range(len(SERVICES))], _url("nginx"),
         lambda p: http_ok(f"http://{HOST}:{p.nginx}/nginx-health"), _nginx),
    Part("redis", lambda p: [p.redis], _url("redis", "redis"), redis_ok, _redis),
)


def by_name(name: str) -> Part:
    """The part called ``name``."""
    for part in PARTS:
        if part.name == name:
            return part
    raise KeyError(name)
