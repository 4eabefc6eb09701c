"""What the benchmark scripts share: a private stack on free ports, and percentiles."""
from __future__ import annotations

import contextlib
import os
import statistics
import tempfile
from collections.abc import Iterator
from pathlib import Path

from deploy.local import stack as local_stack
from deploy.local.layout import Layout, Ports


@contextlib.contextmanager
def private_stack(*, scrape_interval: str = "5s") -> Iterator[tuple[Layout, Ports]]:
    """A whole stack under a temporary home on free ports, purged afterwards."""
    with tempfile.TemporaryDirectory(prefix="opsconsole-bench-") as home:
        layout = Layout(Path(home))
        ports = local_stack.free_ports()
        try:
            local_stack.up(layout, ports, wait=True, scrape_interval=scrape_interval)
            yield layout, ports
        finally:
            local_stack.purge(layout)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of ``values``, interpolated."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, round(q) - 1))]


@contextlib.contextmanager
def env(**values: str) -> Iterator[None]:
    """Set environment variables for the duration (inherited by processes started within)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
