"""The parts of Prometheus' API the rule manager needs beyond queries: reload, loaded rules, config, metadata.

``parse_*`` are pure (API JSON in, dataclasses out); ``RulesApi`` goes through the one HTTP seam.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from console.errors import BackendError
from console.http import Client
from console.rules.duration import parse_duration

NAME = "prometheus"


@dataclass(frozen=True)
class ActiveAlert:
    """One series of a rule that is pending or firing: its labels, since when, and the value that made it."""

    labels: dict[str, str]
    state: str  # pending | firing
    active_at: datetime | None
    value: float | None


@dataclass(frozen=True)
class LoadedRule:
    """An alerting rule as Prometheus runs it: its state, its last evaluation and its active alerts."""

    name: str
    state: str  # inactive | pending | firing
    health: str
    last_error: str
    last_evaluation: str | None
    alerts: tuple[ActiveAlert, ...] = ()

    @property
    def active(self) -> int:
        """How many of its alerts are pending or firing."""
        return len(self.alerts)


@dataclass(frozen=True)
class LoadedGroup:
    """A rule group Prometheus loaded, from which file, evaluated every ``interval`` seconds."""

    name: str
    file: str
    interval: float
    rules: list[LoadedRule]

    @property
    def last_error(self) -> str:
        """The first evaluation error of any of its rules ('' when none)."""
        return next((r.last_error for r in self.rules if r.last_error), "")


def _data(body: Any) -> Any:
    if not isinstance(body, dict) or body.get("status") != "success":
        raise BackendError(NAME, f"unexpected answer: {body.get('error') if isinstance(body, dict) else body!r}")
    return body.get("data")


def _value(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _time(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def parse_rule_groups(body: Any) -> list[LoadedGroup]:
    """The groups of a ``/api/v1/rules`` answer, recording and alerting rules in their order; each alerting
    rule's active alerts longest active first."""
    groups = []
    for group in _data(body).get("groups", []):
        rules = []
        for r in group.get("rules", []):
            alerts = sorted((ActiveAlert(dict(a.get("labels") or {}), a.get("state", ""), _time(a.get("activeAt")),
                                         _value(a.get("value"))) for a in r.get("alerts") or []),
                            key=lambda a: (a.active_at is None, a.active_at, sorted(a.labels.items())))
            rules.append(LoadedRule(r["name"], r.get("state", "inactive"), r.get("health", "unknown"),
                                    r.get("lastError", ""), r.get("lastEvaluation"), tuple(alerts)))
        groups.append(LoadedGroup(group["name"], group.get("file", ""), float(group.get("interval", 0)), rules))
    return groups


def parse_config(body: Any) -> dict:
    """The running configuration of a ``/api/v1/status/config`` answer."""
    config = yaml.safe_load(_data(body).get("yaml", "")) or {}
    if not isinstance(config, dict):
        raise BackendError(NAME, "its configuration is not a mapping")
    return config


def evaluation_interval(config: dict) -> float:
    """Seconds between rule evaluations (Prometheus' default is one minute)."""
    return parse_duration(str((config.get("global") or {}).get("evaluation_interval", "1m")))


def rules_dir(config: dict) -> Path | None:
    """The directory of the first ``rule_files`` glob of the form ``<dir>/*.yml``, if any."""
    for pattern in config.get("rule_files") or []:
        path = Path(pattern)
        if path.name == "*.yml" and path.is_absolute():
            return path.parent
    return None


def parse_metadata(body: Any) -> dict[str, str]:
    """Metric name -> type (counter, gauge, histogram, ...) of a ``/api/v1/metadata`` answer."""
    return {name: entries[0].get("type", "unknown") for name, entries in (_data(body) or {}).items() if entries}


class RulesApi:
    """Reload, loaded rules, config and metadata of the Prometheus at ``url``."""

    def __init__(self, url: str, *, timeout: float):
        self.url = url
        self._http = Client(NAME, url, timeout=timeout)

    def reload(self) -> None:
        """Ask Prometheus to reload its configuration and rule files (``--web.enable-lifecycle``)."""
        self._http.request("POST", "/-/reload")

    def groups(self) -> list[LoadedGroup]:
        """The rule groups Prometheus runs now."""
        return parse_rule_groups(self._http.json("GET", "/api/v1/rules"))

    def config(self) -> dict:
        """Its running configuration."""
        return parse_config(self._http.json("GET", "/api/v1/status/config"))

    def metadata(self) -> dict[str, str]:
        """Type of every metric it knows."""
        return parse_metadata(self._http.json("GET", "/api/v1/metadata"))

    def label_names(self, selectors: list[str], start: float, end: float) -> set[str]:
        """Label names on the series ``selectors`` match between ``start`` and ``end``."""
        params = [("match[]", s) for s in selectors] + [("start", repr(start)), ("end", repr(end))]
        return set(_data(self._http.json("GET", "/api/v1/labels", params=params)) or [])

    def close(self) -> None:
        """Release connections."""
        self._http.close()
