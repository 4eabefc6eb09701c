"""Scale the shop's local replicas: started healthy, published to nginx and file_sd, drained on the way out.

``sample_services.runtime.services_up`` does the work: new replicas join nginx only after their
health check; on scale-in the leaving ones are taken out of the upstreams first and nginx's
graceful reload returns once the old workers have finished their in-flight requests, and only
then are they stopped with SIGTERM (gunicorn finishes what it still holds).
"""
from __future__ import annotations

import threading

from console.errors import StackNotRunning
from console.scaling.executors import UnknownWorkload
from deploy.local import process
from deploy.local.layout import SERVICES, Layout, load_ports
from sample_services.runtime import services_status, services_up

# one scale at a time per home: two overlapping plans would fight over replicas.json and nginx
_LOCK = threading.Lock()


class UnknownService(UnknownWorkload):
    """The target is not a service of the shop."""


class LocalExecutor:
    """The local stack's replicas of the shop services under ``layout``."""

    def __init__(self, layout: Layout):
        self.layout = layout

    def replicas(self, target: str) -> tuple[int, int]:
        """``(running, healthy)`` replicas of ``target``; ``StackNotRunning`` when the stack is down."""
        self._check(target)
        if not process.is_running(self.layout, "nginx"):
            # replicas.json outlives a stopped stack: its counts would read as a service scaled to zero
            raise StackNotRunning(str(self.layout.home))
        rows = [r for r in services_status(self.layout) if r["service"] == target]
        return sum(r["running"] for r in rows), sum(r["healthy"] for r in rows)

    def scale(self, target: str, replicas: int) -> None:
        """Run ``replicas`` replicas of ``target``, leaving the other services as they are."""
        self._check(target)
        with _LOCK:
            services_up(self.layout, load_ports(self.layout), {target: replicas})

    @staticmethod
    def _check(target: str) -> None:
        if target not in SERVICES:
            raise UnknownService(f"{target!r} is not a shop service (one of: {', '.join(SERVICES)})")
