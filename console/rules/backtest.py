"""Backtest: when would a rule have fired over a past window?

The expression is evaluated with ``query_range`` at the evaluation interval, and the pure
state machine (``state.replay_series``) turns those samples into would-be alerts. The
summary counts alerts, time firing and flapping (state changes per hour). For the chart,
a trailing comparison with a constant (``... > 0.05``) is split off: the left side is
charted in full, with the constant as the threshold.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from console.backends.prometheus import Prometheus, Series
from console.rules.model import Rule
from console.rules.state import Alert, grid, replay_series

# Prometheus refuses a range query of more than 11,000 points per series: longer windows are asked in chunks
MAX_POINTS = 11_000
# what one backtest may cover: eight days at a 15 s evaluation interval
MAX_BACKTEST_POINTS = 8 * 86400 // 15 + 1
# a chart wider than this many points is drawn from each bucket's highest value
MAX_CHART_POINTS = 2_000
# a chart of more lines than this is unreadable: the highest ones are drawn, the rest counted
MAX_CHARTED = 8
THRESHOLD = re.compile(r"^(?P<lhs>.+?)\s*(?P<op>>=|<=|==|!=|>|<)\s*(?:bool\s+)?(?P<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$",
                       re.DOTALL)


@dataclass(frozen=True)
class Result:
    """The would-be alerts of a rule over ``start..end`` and the figures that sum them up."""

    start: float
    end: float
    step: float
    alerts: list[Alert]
    series: int
    threshold: float | None = None
    chart: list[dict] = field(default_factory=list)

    @property
    def fired(self) -> list[Alert]:
        """The alerts that reached firing."""
        return [a for a in self.alerts if a.fired]

    @property
    def firing_seconds(self) -> float:
        """Total time firing, over all label sets."""
        return sum(a.firing_seconds(self.end) for a in self.alerts)

    @property
    def flapping(self) -> float:
        """State changes per hour of the window."""
        hours = max(self.end - self.start, self.step) / 3600
        return sum(a.state_changes() for a in self.alerts) / hours


def split_threshold(expr: str) -> tuple[str, str, float] | None:
    """``(left side, operator, constant)`` of an expression ending in a comparison with a number."""
    match = THRESHOLD.match(expr.strip())
    if match is None or _depth(match["lhs"]) != 0:
        return None
    return match["lhs"], match["op"], float(match["value"])


def _depth(text: str) -> int:
    return text.count("(") - text.count(")")


def check_window(start: float, end: float, step: float) -> None:
    """``ValueError`` for a window we would not backtest: empty, reversed or with too many points."""
    if step <= 0:
        raise ValueError("step must be positive")
    if end <= start:
        raise ValueError("end must come after start")
    if (end - start) / step + 1 > MAX_BACKTEST_POINTS:
        raise ValueError(f"{(end - start) / step + 1:.0f} points: at most {MAX_BACKTEST_POINTS} (use a larger step)")


def range_chunks(start: float, end: float, step: float, *, max_points: int = MAX_POINTS) -> list[tuple[float, float]]:
    """``start..end`` cut into consecutive windows on the same ``step`` grid, each of at most ``max_points`` points."""
    chunks, first = [], start
    while first <= end:
        last = min(first + (max_points - 1) * step, end)
        chunks.append((first, last))
        first = last + step
    return chunks


def query_range_chunked(prometheus: Prometheus, expr: str, start: float, end: float, step: float, *,
                        max_points: int = MAX_POINTS) -> list[Series]:
    """``query_range`` over a window of any length: asked chunk by chunk, each series' points joined in order."""
    joined: dict[tuple, Series] = {}
    for first, last in range_chunks(start, end, step, max_points=max_points):
        for s in prometheus.query_range(expr, first, last, step):
            key = tuple(sorted(s.labels.items()))
            if key in joined:
                joined[key].points.extend(s.points)
            else:
                joined[key] = Series(s.labels, list(s.points))
    return list(joined.values())


def backtest(rule: Rule, prometheus: Prometheus, *, start: float, end: float, step: float,
             chart: bool = True) -> Result:
    """Replay ``rule`` over ``start..end`` at ``step`` seconds against what Prometheus stored."""
    check_window(start, end, step)
    series = query_range_chunked(prometheus, rule.expr, start, end, step)
    alerts = replay(rule, series, start, end, step)
    split = split_threshold(rule.expr)
    points: list[dict] = []
    if chart:
        charted = query_range_chunked(prometheus, split[0], start, end, step) if split else series
        points = [{"labels": s.labels, "points": s.points} for s in charted]
    return Result(start, end, step, alerts, len(series), split[2] if split else None, points)


def replay(rule: Rule, series: list[Series], start: float, end: float, step: float) -> list[Alert]:
    """The would-be alerts of ``rule`` given its expression's ``series`` on the ``start..end`` grid."""
    return replay_series(((s.labels, (t for t, _ in s.points)) for s in series), grid(start, end, step),
                         hold=rule.hold_seconds, keep_firing_for=rule.keep_firing_seconds)


def chart_columns(result: Result, *, max_series: int = MAX_CHARTED) -> dict:
    """The backtest as chart columns: the grid, each charted series' values on it (None where it had none,
    the highest series first), the threshold, and the pending and firing spans of the would-be alerts."""
    x = grid(result.start, result.end, result.step)

    def on_grid(points: list) -> list[float | None]:
        values: list[float | None] = [None] * len(x)
        for t, v in points:
            # Prometheus answers timestamps in milliseconds: place each by its step, not by equality
            i = round((t - result.start) / result.step)
            if 0 <= i < len(x) and math.isfinite(v):
                values[i] = v
        return values

    def peak(values: list[float | None]) -> float:
        return max((v for v in values if v is not None), default=-math.inf)

    lines = sorted(({"label": label_text(s["labels"]), "values": on_grid(s["points"])} for s in result.chart),
                   key=lambda line: -peak(line["values"]))[:max_series]
    width = math.ceil(len(x) / MAX_CHART_POINTS)
    if width > 1:
        # a week at the evaluation interval is too many points to draw: each bucket keeps its peak
        x = x[::width]
        for line in lines:
            values = line["values"]
            line["values"] = [max((v for v in values[i:i + width] if v is not None), default=None)
                              for i in range(0, len(values), width)]
    return {"x": x, "series": lines, "omitted": max(0, len(result.chart) - max_series),
            "threshold": result.threshold,
            "pending": [[a.active_at, a.fired_at or a.resolved_at or result.end] for a in result.alerts],
            "firing": [[a.fired_at, a.resolved_at or result.end] for a in result.fired]}


def label_text(labels: dict[str, str]) -> str:
    """A series' labels as PromQL writes them, without the metric name: ``{route="/api", status="500"}``."""
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__") + "}"
