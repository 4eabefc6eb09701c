"""Prometheus HTTP API: instant and range queries, exemplars, health.

The ``parse_*`` functions are pure: API JSON in, dataclasses out.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from console.backends.base import Health, HttpBackend, probe
from console.errors import BackendError

NAME = "prometheus"

Time = float | datetime


@dataclass(frozen=True)
class Sample:
    """One value of an instant vector (or a scalar, with no labels)."""

    labels: dict[str, str]
    time: float
    value: float


@dataclass(frozen=True)
class Series:
    """One series of a range query: ``points`` are ``(unix seconds, value)``."""

    labels: dict[str, str]
    points: list[tuple[float, float]]


@dataclass(frozen=True)
class Exemplar:
    """An exemplar attached to a sample of ``series``; ``trace_id`` links it to a trace."""

    series: dict[str, str]
    labels: dict[str, str]
    time: float
    value: float

    @property
    def trace_id(self) -> str | None:
        """The exemplar's trace id, under either common label name."""
        return self.labels.get("trace_id") or self.labels.get("traceID")


def escape_label_value(value: str) -> str:
    """``value`` escaped for use inside a double-quoted PromQL string, e.g. ``{service="..."}``."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _data(body: Any) -> Any:
    if not isinstance(body, dict) or body.get("status") != "success":
        detail = body.get("error", "no status") if isinstance(body, dict) else "not a JSON object"
        raise BackendError(NAME, f"query failed: {detail}")
    return body.get("data")


def parse_vector(body: Any) -> list[Sample]:
    """Samples of an instant query answer (``vector`` or ``scalar``)."""
    data = _data(body)
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar":
        return [Sample({}, float(result[0]), float(result[1]))]
    if kind != "vector":
        raise BackendError(NAME, f"expected an instant vector, got {kind}")
    return [Sample(item["metric"], float(item["value"][0]), float(item["value"][1])) for item in result]


def parse_matrix(body: Any) -> list[Series]:
    """Series of a range query answer."""
    data = _data(body)
    if data.get("resultType") != "matrix":
        raise BackendError(NAME, f"expected a range matrix, got {data.get('resultType')}")
    return [
        Series(item["metric"], [(float(t), float(v)) for t, v in item.get("values", [])])
        for item in data["result"]
    ]


def parse_exemplars(body: Any) -> list[Exemplar]:
    """Exemplars of a ``query_exemplars`` answer, flattened across series."""
    return [
        Exemplar(group["seriesLabels"], ex["labels"], float(ex["timestamp"]), float(ex["value"]))
        for group in _data(body) or []
        for ex in group.get("exemplars", [])
    ]


def _unix(t: Time) -> str:
    return repr(t.timestamp() if isinstance(t, datetime) else float(t))


def _seconds(step: float | timedelta) -> str:
    return repr(step.total_seconds() if isinstance(step, timedelta) else float(step))


class Prometheus(HttpBackend):
    """A Prometheus server at ``url``."""

    name = NAME

    def health(self) -> Health:
        """Reachable and answering its API: the build info says which version."""
        return probe(self.name, self.url, self._version)

    def _version(self) -> str:
        info = self._http.json("GET", "/api/v1/status/buildinfo")
        return f"version {info.get('data', {}).get('version', 'unknown')}"

    def query(self, promql: str, time: Time | None = None) -> list[Sample]:
        """Evaluate ``promql`` at ``time`` (default: now)."""
        form = {"query": promql}
        if time is not None:
            form["time"] = _unix(time)
        return parse_vector(self._http.json("POST", "/api/v1/query", data=form))

    def query_range(self, promql: str, start: Time, end: Time, step: float | timedelta) -> list[Series]:
        """Evaluate ``promql`` from ``start`` to ``end`` every ``step`` seconds."""
        form = {"query": promql, "start": _unix(start), "end": _unix(end), "step": _seconds(step)}
        return parse_matrix(self._http.json("POST", "/api/v1/query_range", data=form))

    def query_exemplars(self, promql: str, start: Time, end: Time) -> list[Exemplar]:
        """Exemplars of the series selected by ``promql`` between ``start`` and ``end``."""
        form = {"query": promql, "start": _unix(start), "end": _unix(end)}
        return parse_exemplars(self._http.json("POST", "/api/v1/query_exemplars", data=form))
