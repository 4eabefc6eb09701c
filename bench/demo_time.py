"""How long ``opsconsole demo`` takes: first start in a new home, then again with all running.

Runs on free ports under a temporary home, so a running demo is untouched. The programs
are already installed and built here (the cache is warm): the one-time install is the
cost of the first ``make demo`` on a new machine, reported by ``stack install``'s own log.
"""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deploy.local import stack as local_stack
from deploy.local.layout import Layout


def timed_demo(environ: dict[str, str]) -> float:
    """Seconds for one ``opsconsole demo --no-load`` to return."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "console", "demo", "--no-load"], env=environ, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900)
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="opsconsole-bench-demo-") as home:
        layout = Layout(Path(home))
        ports = local_stack.free_ports()
        environ = {**os.environ, "OPSCONSOLE_HOME": home}
        environ.update({f"OPSCONSOLE_{name.upper()}_PORT": str(port)
                        for name, port in dataclasses.asdict(ports).items()})
        try:
            cold = timed_demo(environ)
            warm = timed_demo(environ)
        finally:
            local_stack.purge(layout)
    print(f"demo, new home (nothing running, cache warm)  {cold:6.1f} s")
    print(f"demo, again (everything running)              {warm:6.1f} s")


if __name__ == "__main__":
    main()
