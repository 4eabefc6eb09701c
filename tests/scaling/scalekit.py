"""Shared by the scaling tests: a policy whose one metric is a constant, so its decisions are known in advance,
and replica counts kept in memory."""
from __future__ import annotations


def constant_policy(target: str = "gateway", *, max_replicas: int = 4) -> str:
    """A policy scaling ``target`` on ``vector(60)`` against 20 a replica: it always asks for 3 replicas."""
    return f"""\
apiVersion: opsconsole/v1
kind: ScalingPolicy
metadata: {{name: {target}}}
spec:
  scaleTargetRef: {{kind: Service, name: {target}}}
  minReplicas: 1
  maxReplicas: {max_replicas}
  metrics:
    - type: External
      external:
        metric: {{name: constant_load}}
        query: vector(60)
        target: {{type: AverageValue, averageValue: "20"}}
"""


class MemoryExecutor:
    """Replica counts kept in a dict: the scale API's behaviour without processes behind it."""

    def __init__(self, counts: dict[str, int]):
        self.counts = dict(counts)
        self.calls: list[tuple[str, int]] = []

    def replicas(self, target: str) -> tuple[int, int]:
        return self.counts[target], self.counts[target]

    def scale(self, target: str, replicas: int) -> None:
        self.calls.append((target, replicas))
        self.counts[target] = replicas
