"""``opsconsole serve``: the console under gunicorn (threaded workers), not Flask's dev server."""
from __future__ import annotations

import errno
import socket
from typing import Any

import click
from gunicorn.app.base import BaseApplication

from deploy.local.layout import HOST, current


def ensure_port_free(host: str, port: int) -> None:
    """Raise ``PortInUse`` if ``host:port`` cannot be bound, before gunicorn retries it for seconds."""
    from console.errors import PortInUse

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # same option gunicorn sets, so a port in TIME_WAIT counts as free
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise PortInUse("console", port) from e
            raise


class ConsoleServer(BaseApplication):
    """Gunicorn serving ``create_app(settings)`` with the given gunicorn ``options``."""

    def __init__(self, settings: dict[str, Any], options: dict[str, Any]):
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        """Apply our options to gunicorn's config."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        """The WSGI app, built in each worker from settings resolved once in the master."""
        from console import create_app

        return create_app(self.settings)


@click.command()
@click.option("--host", default=HOST, show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port to listen on  [default: the stack's console port, 8080]")
@click.option("--workers", type=click.IntRange(1, 8), default=2, show_default=True, help="Worker processes.")
@click.option("--threads", type=click.IntRange(1, 32), default=4, show_default=True, help="Threads per worker.")
def serve(host: str, port: int | None, workers: int, threads: int) -> None:
    """Run the console web app."""
    from console.auth.cli import first_admin
    from console.config import load, own_telemetry_settings

    # resolved once here: a bad setting fails before any worker starts, and every
    # worker shares the same secret key
    layout, ports = current()
    # Serving the local stack: trace and log like the shop does, unless told otherwise.
    settings = load(base=own_telemetry_settings(layout, ports) if layout.state_file.exists() else None)
    port = port or ports.console
    ensure_port_free(host, port)
    # before the workers fork: migrates once and shows a generated admin password once
    # (the master's app must not run the scaling loop: each worker runs its own, the lease picks one)
    first_admin({**settings, "SCALING_LOOP": False, "ESCALATION_LOOP": False})
    click.echo(f"opsconsole: serving on http://{host}:{port}", err=True)
    ConsoleServer({"SCALING_LOOP": True, "ESCALATION_LOOP": True, **settings}, {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "opsconsole-console",
    }).run()
