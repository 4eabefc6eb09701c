"""``python -m bench``: run every benchmark script in turn; each prints its own figures.

Every script starts what it measures on free loopback ports under a temporary home, so a
running demo is never touched, and measures the things it compares side by side in one run.
"""
from __future__ import annotations

import runpy
import sys
import time

SCRIPTS = ("bench.telemetry_overhead", "bench.logship_throughput", "bench.demo_time", "bench.dashboard", "bench.scaling",
           "bench.rule_backtest", "bench.policy_backtest", "bench.oncall")


def main(names: list[str]) -> int:
    """Run the named scripts (all by default) and report how long each took."""
    for name in names or SCRIPTS:
        started = time.monotonic()
        print(f"== {name}", flush=True)
        runpy.run_module(name, run_name="__main__")
        print(f"   ({time.monotonic() - started:.0f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main([f"bench.{arg}" if not arg.startswith("bench.") else arg for arg in sys.argv[1:]]))
