"""Configs of Prometheus, Alertmanager and Jaeger, rendered from the layout and ports.

The ``render_*`` functions are pure (text out); ``write_*`` put them under
``layout.config/<part>/`` and return the file written.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from console.rules.slo import FAST_BURN, SLOW_BURN
from deploy.local.layout import HOST, Layout, Ports

JAEGER_STORAGES = ("memory", "elasticsearch")
# an SLO that pages for its fast burn needs no ticket for its slow one as well: one incident, not two
SLO_INHIBITION = {"source_matchers": [f'alertname="{FAST_BURN}"'], "target_matchers": [f'alertname="{SLOW_BURN}"'],
                  "equal": ["slo"]}


def render_prometheus(layout: Layout, ports: Ports, *, scrape_interval: str = "5s") -> str:
    """prometheus.yml: itself, the shop and opsconsole through file_sd, rules, our Alertmanager."""
    config = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
        "rule_files": [str(layout.rules / "*.yml")],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"{HOST}:{ports.alertmanager}"]}]}]},
        "scrape_configs": [
            {"job_name": "prometheus", "static_configs": [{"targets": [f"{HOST}:{ports.prometheus}"]}]},
            # Replicas label themselves (service, replica); keep their labels over the target's.
            {"job_name": "shop", "honor_labels": True,
             "file_sd_configs": [{"files": [str(layout.file_sd / "shop.json")]}]},
            {"job_name": "opsconsole",
             "file_sd_configs": [{"files": [str(layout.file_sd / "opsconsole.json")]}]},
        ],
    }
    return yaml.safe_dump(config, sort_keys=False)


def prometheus_argv(layout: Layout, ports: Ports) -> list[str]:
    """Command line of our Prometheus."""
    return [
        "/usr/bin/prometheus",
        f"--config.file={layout.config / 'prometheus' / 'prometheus.yml'}",
        f"--storage.tsdb.path={layout.data / 'prometheus'}",
        f"--web.listen-address={HOST}:{ports.prometheus}",
        "--enable-feature=exemplar-storage",
        "--web.enable-lifecycle",
        # 2.42 drops the first alert batch after a reload and resends only after this delay.
        "--rules.alert.resend-delay=5s",
    ]


def write_prometheus(layout: Layout, ports: Ports, *, scrape_interval: str = "5s") -> Path:
    """Write prometheus.yml and create empty file_sd target files that are missing."""
    for job in ("shop", "opsconsole"):
        target = layout.file_sd / f"{job}.json"
        if not target.exists():
            target.write_text("[]\n")
    (layout.data / "prometheus").mkdir(parents=True, exist_ok=True)
    return _write(layout, "prometheus", "prometheus.yml", render_prometheus(layout, ports, scrape_interval=scrape_interval))


@dataclass(frozen=True)
class ConsoleReceiver:
    """Where Alertmanager sends notifications: the console at ``url``, with the token of its ALERTMANAGER_TOKEN."""

    url: str
    token: str
    webhook_path: str = "/api/v1/alertmanager/webhook"


def render_alertmanager(console: ConsoleReceiver | None = None, *, group_wait: str = "5s",
                        group_interval: str = "10s", repeat_interval: str = "1h") -> str:
    """alertmanager.yml: every alert to the console's webhook, or to a receiver that drops it when there is none;
    an SLO's slow-burn ticket held back while its fast burn pages."""
    # one incident per alert and service: the on-call page names its service, and an ack takes one service's
    route = {"group_by": ["alertname", "service"], "group_wait": group_wait, "group_interval": group_interval,
             "repeat_interval": repeat_interval}
    if console is None:
        config = {"route": {"receiver": "null", **route}, "receivers": [{"name": "null"}]}
        return yaml.safe_dump(config, sort_keys=False)
    webhook = {
        "url": console.url.rstrip("/") + console.webhook_path,
        # resolved notifications close incidents; the token is what the console's webhook checks
        "send_resolved": True,
        "http_config": {"authorization": {"type": "Bearer", "credentials": console.token}},
    }
    config = {"route": {"receiver": "opsconsole", **route},
              "receivers": [{"name": "opsconsole", "webhook_configs": [webhook]}],
              "inhibit_rules": [SLO_INHIBITION]}
    return yaml.safe_dump(config, sort_keys=False)


def alertmanager_argv(layout: Layout, ports: Ports) -> list[str]:
    """Command line of our Alertmanager (no clustering unless a cluster port is set)."""
    cluster = f"{HOST}:{ports.alertmanager_cluster}" if ports.alertmanager_cluster else ""
    return [
        "/usr/bin/prometheus-alertmanager",
        f"--config.file={layout.config / 'alertmanager' / 'alertmanager.yml'}",
        f"--storage.path={layout.data / 'alertmanager'}",
        f"--web.listen-address={HOST}:{ports.alertmanager}",
        f"--cluster.listen-address={cluster}",
    ]


def write_alertmanager(layout: Layout, console: ConsoleReceiver | None = None, **timing: str) -> Path:
    """Write alertmanager.yml routing to ``console``; without one, only when none exists (never undo a routing)."""
    (layout.data / "alertmanager").mkdir(parents=True, exist_ok=True)
    path = layout.config / "alertmanager" / "alertmanager.yml"
    if path.exists() and console is None:
        return path
    return _write(layout, "alertmanager", "alertmanager.yml", render_alertmanager(console, **timing))


def redis_argv(layout: Layout, ports: Ports) -> list[str]:
    """Command line of our Redis: loopback, no persistence, in the foreground."""
    return [
        "/usr/bin/redis-server", "--bind", HOST, "--port", str(ports.redis), "--save", "",
        "--appendonly", "no", "--dir", str(layout.data / "redis"), "--daemonize", "no",
    ]


def render_jaeger(ports: Ports, *, storage: str = "memory") -> str:
    """Jaeger v2 config: OTLP in, query API out, every listener on loopback on our ports."""
    if storage not in JAEGER_STORAGES:
        raise ValueError(f"unknown jaeger storage {storage!r}; one of {', '.join(JAEGER_STORAGES)}")
    if storage == "memory":
        backend = {"memory": {"max_traces": 100000}}
    else:
        indices = {kind: {"shards": 1, "replicas": 0} for kind in ("spans", "services", "dependencies", "sampling")}
        # Our Elasticsearch answers `GET /` with 405, which is where the client's health
        # check and version detection look: skip the one and state the other.
        backend = {"elasticsearch": {"server_urls": [f"http://{HOST}:{ports.elasticsearch}"],
                                     "disable_health_check": True, "version": 8,
                                     "indices": {"index_prefix": "opsconsole", **indices}}}
    config = {
        "service": {
            "extensions": ["jaeger_storage", "jaeger_query", "healthcheckv2"],
            "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"],
                                     "exporters": ["jaeger_storage_exporter"]}},
            "telemetry": {
                "resource": {"service.name": "jaeger"},
                "metrics": {"level": "basic", "readers": [
                    {"pull": {"exporter": {"prometheus": {"host": HOST, "port": ports.jaeger_metrics}}}}]},
                "logs": {"level": "info"},
            },
        },
        "extensions": {
            "healthcheckv2": {"use_v2": True, "http": {"endpoint": f"{HOST}:{ports.jaeger_health}"}},
            "jaeger_query": {
                "storage": {"traces": "traces"},
                "http": {"endpoint": f"{HOST}:{ports.jaeger_query}"},
                "grpc": {"endpoint": f"{HOST}:{ports.jaeger_query_grpc}"},
            },
            "jaeger_storage": {"backends": {"traces": backend}},
        },
        "receivers": {"otlp": {"protocols": {
            "grpc": {"endpoint": f"{HOST}:{ports.jaeger_otlp_grpc}"},
            "http": {"endpoint": f"{HOST}:{ports.jaeger_otlp_http}"},
        }}},
        "processors": {"batch": {}},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": "traces"}},
    }
    return yaml.safe_dump(config, sort_keys=False)


def write_jaeger(layout: Layout, ports: Ports, *, storage: str = "memory") -> Path:
    """Write Jaeger's config.yaml."""
    return _write(layout, "jaeger", "config.yaml", render_jaeger(ports, storage=storage))


def _write(layout: Layout, part: str, name: str, text: str) -> Path:
    path = layout.config / part / name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path
