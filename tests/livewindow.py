"""A rule and a scaling policy running live for as long as the test session lasts: a Prometheus of its own
evaluates the rule every ``INTERVAL`` seconds against an exporter of ours (``tests/liveexporter.py``, a process
of its own) whose errors follow a fault schedule,
and a console's scaling loop (its real loop, store and engine; replica counts kept in memory) scales on the
exporter's load, which follows a load schedule, every ``SCALING_PERIOD`` seconds (``tests/liveloop.py``, run
as a process of its own). Started at collection
when a test marked ``live_window`` is selected (and that test is moved to the end), so the ten live minutes
the backtest agreements need pass while the rest of the suite runs; alone, the tests wait for them.
The exporter's values are a function of the time since the start, so each scrape sees exactly the
schedules."""
from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from console.rules.model import Rule
from console.rules.render import render_groups
from kit import OwnPrometheus, free_port

HOST = "127.0.0.1"
INTERVAL = 2.0  # the rule's evaluation interval, and the backtest's step
SCRAPE = 1.0
MINUTES = 10
GOOD_PER_SECOND, ERRORS_PER_SECOND = 20.0, 20.0
# (start, end) seconds after the run began during which the exporter counts errors
# (the fourth is shorter than the rule's `for`: pending, never firing)
INCIDENTS = ((60, 150), (230, 260), (330, 420), (470, 476), (520, 575))
# Four scrapes in the rate's window: on a busy machine a scrape can be stored after the evaluation that
# should have seen it, and with three, two such left rate() one sample, no answer, and reset the pending
# alert (Prometheus fired one `for` later than the backtest, which reads what was stored in the end).
# Short enough still that the 6-second incident stays below the `for`.
RULE = Rule(group="live", alert="LiveWindowErrors", expr='sum(rate(live_requests_total{status="500"}[4s])) > 1',
            **{"for": "10s"})


SCALING_PERIOD = 5.0
# (from, load) seconds after the run began: against 10 a replica, 2, 5, 3, 7, 1, 4 and 2 replicas
LOAD_STEPS = ((0, 15.0), (60, 45.0), (150, 25.0), (240, 65.0), (330, 8.0), (420, 35.0), (510, 15.0))
SCALING_POLICY = """\
apiVersion: opsconsole/v1
kind: ScalingPolicy
metadata: {name: live}
spec:
  scaleTargetRef: {name: live}
  minReplicas: 1
  maxReplicas: 10
  metrics:
    - type: External
      external:
        metric: {name: live_load}
        query: sum(live_load)
        target: {type: AverageValue, averageValue: "10"}
  behavior:
    scaleUp: {policies: [{type: Pods, value: 2, periodSeconds: 10}]}
    scaleDown: {stabilizationWindowSeconds: 30, policies: [{type: Percent, value: 50, periodSeconds: 15}]}
"""
INITIAL_REPLICAS = 1


def load_at(elapsed: float) -> float:
    """The exporter's load ``elapsed`` seconds after the start."""
    return [load for start, load in LOAD_STEPS if start <= elapsed][-1]


def errors_until(elapsed: float) -> float:
    """Errors counted from the run's start until ``elapsed`` seconds after it."""
    return ERRORS_PER_SECOND * sum(max(0.0, min(elapsed, end) - start) for start, end in INCIDENTS)


@dataclass
class LiveWindow:
    """The running rule: its Prometheus, its exporter, and when it began (unix seconds)."""

    home: Path
    began: float = 0.0
    prometheus: OwnPrometheus | None = None
    loop: subprocess.Popen | None = None
    loop_home: Path | None = None
    exporter: subprocess.Popen | None = None
    exporter_port: int = 0

    def start(self) -> None:
        self.began = time.time()
        self.exporter = self._start_exporter()
        rules = self.home / "rules"
        rules.mkdir(parents=True)
        (rules / "live.yml").write_text(render_groups([RULE]))
        config = self.home / "prometheus.yml"
        config.write_text(yaml.safe_dump({
            "global": {"scrape_interval": f"{SCRAPE:g}s", "evaluation_interval": f"{INTERVAL:g}s"},
            "rule_files": [str(rules / "*.yml")],
            "scrape_configs": [{"job_name": "live", "static_configs": [
                {"targets": [f"{HOST}:{self.exporter_port}"]}]}]}))
        port = free_port()
        self.prometheus = OwnPrometheus(
            f"http://{HOST}:{port}", rules, ["/usr/bin/prometheus", f"--config.file={config}",
                                             f"--storage.tsdb.path={self.home / 'data'}",
                                             f"--web.listen-address={HOST}:{port}"], self.home / "prometheus.log")
        self.prometheus.start()
        self._start_loop()

    def _start_exporter(self) -> subprocess.Popen:
        port_file = self.home / "exporter.port"
        with open(self.home / "exporter.log", "ab") as log:
            exporter = subprocess.Popen([sys.executable, str(Path(__file__).with_name("liveexporter.py")),
                                         repr(self.began), str(port_file)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not port_file.exists():
            if exporter.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the live exporter did not start: {(self.home / 'exporter.log').read_text()}")
            time.sleep(0.1)
        self.exporter_port = int(port_file.read_text())
        return exporter

    def _start_loop(self) -> None:
        # a process of its own: its scheduler threads never meet the tests' in this interpreter
        home = self.home / "loop"
        (home / "policies").mkdir(parents=True)
        (home / "policies" / "live.yml").write_text(SCALING_POLICY)
        self.loop_home = home
        with open(self.home / "loop.log", "ab") as log:
            self.loop = subprocess.Popen([sys.executable, str(Path(__file__).with_name("liveloop.py")), str(home),
                                          self.prometheus.url, str(SCALING_PERIOD), str(INITIAL_REPLICAS)],
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not (home / "loop.started").exists() and self.loop.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)

    def stop_loop(self) -> None:
        """Stop the scaling loop's process (it hands its lease over); a second call does nothing."""
        if self.loop is not None and self.loop.poll() is None:
            self.loop.terminate()
            self.loop.wait(timeout=30)

    def stop(self) -> None:
        self.stop_loop()
        # the exporter first: a scrape cut off by Prometheus stopping would break the pipe it writes to
        if self.exporter is not None and self.exporter.poll() is None:
            self.exporter.terminate()
            self.exporter.wait(timeout=30)
        if self.prometheus is not None:
            self.prometheus.stop()


RUNNING: list[LiveWindow] = []


def start_for(items: list, home: Path) -> LiveWindow | None:
    """Start the live rule when some of ``items`` (selected tests) judge it; None when none does."""
    if not any(item.get_closest_marker("live_window") for item in items):
        return None
    window = LiveWindow(home)
    window.start()
    RUNNING.append(window)
    return window
