"""The live window's scaling loop, in a process of its own (``python tests/liveloop.py HOME PROMETHEUS_URL``):
the real loop, store and engine on the policy in ``HOME/policies``, replica counts kept in memory. It runs until
SIGTERM, then stops the loop (handing its lease over) and exits, leaving its decisions in ``HOME/console.db``."""
from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent / "scaling"))

from console import create_app  # noqa: E402
from console.scaling import EXTENSION  # noqa: E402
from console.scaling.loop import Loop  # noqa: E402
from scalekit import MemoryExecutor  # noqa: E402

TARGET = "live"  # the live window's policy scales this target


def main(home: Path, prometheus_url: str, period: float, initial: int) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "live", "PROMETHEUS_URL": prometheus_url,
                      "DATABASE_URL": f"sqlite:///{home / 'console.db'}", "SCALING_HOME": str(home / "stack"),
                      "SCALING_POLICIES_DIR": str(home / "policies")})
    app.extensions[EXTENSION] = MemoryExecutor({TARGET: initial})
    loop = Loop(app, period=period, holder="live-window")
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    loop.start()
    (home / "loop.started").touch()
    stopped.wait()
    loop.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4]))
