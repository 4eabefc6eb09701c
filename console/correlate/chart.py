"""Chart data for uPlot (pure): aligned columns from range-query series, and exemplar dots with their traces."""
from __future__ import annotations

from console.backends.prometheus import Exemplar, Series

LATENCY = ("p50", "p95", "p99")


def uplot_columns(series: dict[str, list[Series]], exemplars: list[Exemplar]) -> dict:
    """``{"x": [...], "<key>": [...], "exemplars": [...], "trace_ids": [...]}``, aligned on one time axis.

    Latency columns and exemplar values are in milliseconds; a missing point is None (a gap in the line).
    Exemplar dots share the axis: their column holds a value only at their own time.
    """
    values: dict[str, dict[float, float]] = {key: dict(found[0].points) if found else {}
                                             for key, found in series.items()}
    dots = {ex.time: ex for ex in exemplars if ex.trace_id}
    times = sorted(set().union(*values.values(), dots))
    columns: dict[str, list] = {"x": times}
    for key, points in values.items():
        scale = 1000 if key in LATENCY else 1
        columns[key] = [_finite(points[t] * scale) if t in points else None for t in times]
    columns["exemplars"] = [round(dots[t].value * 1000, 3) if t in dots else None for t in times]
    columns["trace_ids"] = [dots[t].trace_id if t in dots else None for t in times]
    return columns


def _finite(value: float) -> float | None:
    return None if value != value or value in (float("inf"), float("-inf")) else round(value, 6)


def sparkline_points(values: list[float | None], *, width: int = 100, height: int = 20) -> str:
    """SVG ``polyline`` points for ``values`` scaled into ``width`` × ``height`` (y down); gaps are skipped.

    The lowest value sits on the bottom edge only when the series is flat; otherwise the line spans
    the box, so a service's own shape shows whatever its scale.
    """
    known = [(i, v) for i, v in enumerate(values) if v is not None and v == v]
    if not known:
        return ""
    low, high = min(v for _, v in known), max(v for _, v in known)
    span_x = max(1, len(values) - 1)
    span_y = high - low
    points = []
    for i, v in known:
        y = height - 1 if span_y == 0 else 1 + (height - 2) * (high - v) / span_y
        points.append(f"{width * i / span_x:.1f},{y:.1f}")
    return " ".join(points)
