"""Our nginx: one config for the gateway and the four internal services, reloaded gracefully.

Each service gets a server block on loopback (gateway on ``ports.nginx``, the others at
+1..+4). A service with replicas proxies to a ``least_conn`` upstream of them; one without
answers 503. ``apply_upstreams`` is how the shop's replica runtime changes the replicas.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from console.errors import StartError, UsageProblem
from deploy.local import process, sysuser
from deploy.local.layout import HOST, SERVICES, Layout, Ports, service_port

BINARY = "/usr/sbin/nginx"
TEMP_KINDS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
SHUTDOWN_TIMEOUT = 10.0  # seconds an old worker may spend on in-flight requests after a reload


def config_dir(layout: Layout) -> Path:
    """nginx's prefix (``-p``), holding nginx.conf and its pid file."""
    return layout.config / "nginx"


def temp_dir(layout: Layout) -> Path:
    """Buffers of large bodies; workers write here, so outside /root when we are root."""
    return sysuser.private_dir(layout, "nginx")


def render(layout: Layout, ports: Ports, upstreams: dict[str, list[int]], *,
           worker_user: str | None = None, temp: Path | None = None) -> str:
    """nginx.conf with a server block per service and an upstream per service that has replicas."""
    unknown = sorted(set(upstreams) - set(SERVICES))
    if unknown:
        raise UsageProblem(f"unknown service {', '.join(unknown)}; one of {', '.join(SERVICES)}")
    temp = temp or temp_dir(layout)
    lines = ["# Rendered by opsconsole (deploy/local/nginx.py); edits are overwritten."]
    if worker_user:
        lines.append(f"user {worker_user};")
    lines += [
        "worker_processes 2;",
        f"worker_shutdown_timeout {SHUTDOWN_TIMEOUT:.0f}s;",
        "daemon off;",  # our process manager supervises the master
        f"pid {config_dir(layout) / 'nginx.pid'};",
        f"error_log {layout.logs / 'nginx.error.log'} warn;",
        "events { worker_connections 1024; }",
        "http {",
        f"    access_log {layout.logs / 'nginx.access.log'};",
        *(f"    {kind}_temp_path {temp / kind};" for kind in TEMP_KINDS),
        "    default_type text/plain;",
        "    server_tokens off;",
        "    keepalive_timeout 65s;",
    ]
    for service in SERVICES:
        replicas = upstreams.get(service) or []
        if replicas:
            lines += _upstream(service, replicas)
        lines += _server(service, service_port(ports, service), has_replicas=bool(replicas))
    lines.append("}")
    return "\n".join(lines) + "\n"


def argv(layout: Layout, config: Path | None = None) -> list[str]:
    """Command line of nginx on ``config`` (default: the live nginx.conf)."""
    conf_dir = config_dir(layout)
    return [BINARY, "-p", f"{conf_dir}/", "-c", str(config or conf_dir / "nginx.conf"),
            "-e", str(layout.logs / "nginx.error.log")]


def write(layout: Layout, ports: Ports, upstreams: dict[str, list[int]]) -> Path:
    """Render and test a config, then make it the live one; the live one stays if the test fails."""
    conf_dir = config_dir(layout)
    conf_dir.mkdir(parents=True, exist_ok=True)
    layout.logs.mkdir(parents=True, exist_ok=True)
    worker = "nobody nogroup" if sysuser.is_root() else None
    temp = temp_dir(layout)
    for kind in TEMP_KINDS:
        (temp / kind).mkdir(parents=True, exist_ok=True)
    if worker:
        sysuser.chown_tree(temp, "nobody", "nogroup")
    candidate = conf_dir / "nginx.conf.new"
    candidate.write_text(render(layout, ports, upstreams, worker_user=worker, temp=temp))
    test = subprocess.run([*argv(layout, candidate), "-t", "-q"], capture_output=True, text=True,
                          timeout=30, check=False)
    if test.returncode != 0:
        candidate.unlink(missing_ok=True)
        reason = " | ".join(test.stderr.strip().splitlines()[-2:])
        raise StartError("nginx", f"new config rejected by nginx -t, old one kept: {reason}")
    live = conf_dir / "nginx.conf"
    candidate.replace(live)
    return live


def apply_upstreams(layout: Layout, ports: Ports, upstreams: dict[str, list[int]]) -> None:
    """Point each service's upstream at these replica ports and reload nginx gracefully."""
    write(layout, ports, upstreams)
    pid = process.read_pid(layout, "nginx")
    if pid is None or not process.is_running(layout, "nginx"):
        return  # not running: `stack up` starts it on this config
    before = _children(pid)
    # SIGHUP: the master re-reads the config, starts new workers and lets old ones finish.
    os.kill(pid, signal.SIGHUP)
    # Old workers still accept for a moment after new ones start: the reload is in effect
    # only once they are gone (worker_shutdown_timeout bounds their in-flight requests).
    deadline = time.monotonic() + SHUTDOWN_TIMEOUT + 5.0
    while time.monotonic() < deadline:
        now = _children(pid)
        if now - before and not now & before:
            return
        time.sleep(0.05)
    raise StartError("nginx", f"reload not done after {SHUTDOWN_TIMEOUT + 5.0:.0f} s; see {layout.logs / 'nginx.error.log'}")


def _upstream(service: str, replicas: list[int]) -> list[str]:
    servers = [f"        server {HOST}:{port} max_fails=3 fail_timeout=10s;" for port in sorted(replicas)]
    return [f"    upstream {service} {{", "        least_conn;", *servers, "        keepalive 32;", "    }"]


def _server(service: str, port: int, *, has_replicas: bool) -> list[str]:
    lines = [
        "    server {",
        f"        listen {HOST}:{port};",
        f"        # {service}",
        '        location = /nginx-health { return 200 "ok\\n"; }',
        "        location / {",
    ]
    if has_replicas:
        lines += [
            f"            proxy_pass http://{service};",
            # HTTP/1.1 with an empty Connection header keeps upstream connections alive.
            "            proxy_http_version 1.1;",
            '            proxy_set_header Connection "";',
            "            proxy_set_header Host $host;",
            "            proxy_set_header X-Real-IP $remote_addr;",
            "            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
            "            proxy_connect_timeout 2s;",
            "            proxy_send_timeout 30s;",
            "            proxy_read_timeout 30s;",
            # Retried on another replica only for idempotent methods (nginx's default).
            "            proxy_next_upstream error timeout;",
            "            proxy_next_upstream_tries 2;",
        ]
    else:
        lines.append(f'            return 503 "no {service} replicas\\n";')
    return lines + ["        }", "    }"]


def _children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(p) for p in text.split()}
