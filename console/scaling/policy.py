"""Scaling policies shaped like ``autoscaling/v2`` HorizontalPodAutoscaler, read from YAML and validated.

A policy names its target (``scaleTargetRef``), the bounds, the metrics with their targets
(``console.scaling.metrics``), the ``behavior`` (stabilization windows and rate policies), plus
two additions of ours: ``schedules`` (cron windows that raise the floor, like KEDA's cron
scaler) and ``onAlert`` (a firing alert adds replicas to the metric recommendation).
"""
from __future__ import annotations

import difflib
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from apscheduler.triggers.cron import CronTrigger
from pydantic import (
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from console.scaling.metrics import (
    NAME,
    MetricSpec,
    PolicyError,
    StrictModel,
    parse_quantity,
)
from console.zone import known_zone

__all__ = ["NAME", "MetricSpec", "Policy", "PolicyError", "check_document", "document_diff", "document_text",
           "load_policies", "parse_quantity", "validate_policy"]


class ScaleTargetRef(StrictModel):
    """What is scaled: a service of the shop (local replicas) or a Deployment."""

    kind: Literal["Service", "Deployment"] = "Service"
    name: str = Field(pattern=NAME)


class ScalingPolicy(StrictModel):
    """One scaling rule of a direction: change at most ``value`` pods or percent per ``periodSeconds``."""

    type: Literal["Pods", "Percent"]
    value: int = Field(gt=0)
    period_seconds: int = Field(alias="periodSeconds", gt=0, le=1800)


class ScalingRules(StrictModel):
    """How one direction (up or down) may change: stabilization window, rate policies, which policy wins."""

    stabilization_window_seconds: int | None = Field(default=None, alias="stabilizationWindowSeconds", ge=0, le=3600)
    select_policy: Literal["Max", "Min", "Disabled"] = Field(default="Max", alias="selectPolicy")
    policies: list[ScalingPolicy] = Field(default_factory=list)
    tolerance: float | None = Field(default=None, ge=0)


class Behavior(StrictModel):
    """The two directions' rules; a missing one takes the Kubernetes defaults."""

    scale_up: ScalingRules | None = Field(default=None, alias="scaleUp")
    scale_down: ScalingRules | None = Field(default=None, alias="scaleDown")


class Schedule(StrictModel):
    """A cron window that raises the floor to ``minReplicas`` for ``durationSeconds`` after each start."""

    name: str = Field(pattern=NAME)
    start: str
    duration_seconds: int = Field(alias="durationSeconds", gt=0, le=7 * 86400)
    timezone: str = "UTC"
    min_replicas: int = Field(alias="minReplicas", ge=0)

    @field_validator("start")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            _trigger(value, "UTC")
        except (ValueError, TypeError, LookupError) as e:
            raise ValueError(f"not a cron expression: {e}") from e
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return known_zone(value)

    def is_active(self, now: datetime) -> bool:
        """Whether a window opened by ``start`` is still open at ``now``."""
        trigger = _trigger(self.start, self.timezone)
        opened = trigger.get_next_fire_time(None, now - timedelta(seconds=self.duration_seconds) + timedelta(microseconds=1))
        return opened is not None and opened <= now


def _trigger(cron: str, timezone: str) -> CronTrigger:
    fields = cron.split()
    if len(fields) != 5:
        raise ValueError(f"cron {cron!r} needs 5 fields: minute hour day month weekday")
    # APScheduler 3 counts weekdays from Monday = 0; cron from Sunday = 0 (and 7): use names
    fields[4] = re.sub(r"\d+", lambda m: _WEEKDAYS[int(m.group())] if int(m.group()) < 8 else m.group(), fields[4])
    minute, hour, day, month, weekday = fields
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=weekday, timezone=timezone)


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


class AlertStep(StrictModel):
    """While Alertmanager has ``alert`` firing, ``addReplicas`` more than the metrics ask for."""

    alert: str = Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")
    add_replicas: int = Field(alias="addReplicas", gt=0, le=100)


class Predictive(StrictModel):
    """Predictive scaling, as AWS has it: forecast ``metric``'s load from ``historyDays`` of history and,
    in ``forecastAndScale`` mode, raise the floor to what the forecast asks ``leadSeconds`` ahead."""

    mode: Literal["forecastOnly", "forecastAndScale"] = "forecastOnly"
    metric: str = Field(min_length=1, max_length=128)
    lead_seconds: int = Field(default=300, alias="leadSeconds", ge=0, le=6 * 3600)
    history_days: int = Field(default=14, alias="historyDays", ge=1, le=56)

    @property
    def scales(self) -> bool:
        """Whether the forecast acts (``forecastAndScale``) rather than only being shown."""
        return self.mode == "forecastAndScale"


class PolicySpec(StrictModel):
    """The ``spec`` of a policy: the HPA's fields plus schedules, alert steps and predictive scaling."""

    scale_target_ref: ScaleTargetRef = Field(alias="scaleTargetRef")
    min_replicas: int = Field(default=1, alias="minReplicas", ge=0, le=100_000)
    max_replicas: int = Field(alias="maxReplicas", ge=1, le=100_000)
    metrics: list[MetricSpec] = Field(default_factory=list, max_length=10)
    behavior: Behavior | None = None
    schedules: list[Schedule] = Field(default_factory=list)
    on_alert: list[AlertStep] = Field(default_factory=list, alias="onAlert")
    predictive: Predictive | None = None

    @model_validator(mode="after")
    def _bounds(self) -> PolicySpec:
        if self.min_replicas > self.max_replicas:
            raise ValueError(f"minReplicas ({self.min_replicas}) is above maxReplicas ({self.max_replicas})")
        names = [m.name for m in self.metrics]
        if len(set(names)) != len(names):
            raise ValueError("metric names must be unique within a policy")
        if self.predictive is not None:
            metric = self.forecast_metric
            if metric is None:
                raise ValueError(f"predictive.metric {self.predictive.metric!r} is not one of the policy's metrics")
            if metric.source.target.type == "Value":
                # a total with a Value target (a latency, say) says nothing of how many replicas carry it
                raise ValueError("predictive.metric needs a per-replica target (AverageValue or Utilization)")
        return self

    @property
    def forecast_metric(self) -> MetricSpec | None:
        """The metric predictive scaling forecasts, if it has one."""
        if self.predictive is None:
            return None
        return next((m for m in self.metrics if m.name == self.predictive.metric), None)


class Metadata(StrictModel):
    """The policy's name."""

    name: str = Field(pattern=NAME)


class Policy(StrictModel):
    """A whole policy document: ``apiVersion``, ``kind``, ``metadata`` and ``spec``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, json_schema_extra={"examples": [{
        "apiVersion": "opsconsole/v1", "kind": "ScalingPolicy", "metadata": {"name": "gateway"},
        "spec": {"scaleTargetRef": {"kind": "Service", "name": "gateway"}, "minReplicas": 1, "maxReplicas": 4,
                 "metrics": [{"type": "Pods", "pods": {"metric": {"name": "http_requests_per_second"},
                                                       "target": {"type": "AverageValue", "averageValue": 20}}}]},
    }]})

    api_version: Literal["opsconsole/v1", "autoscaling/v2"] = Field(default="opsconsole/v1", alias="apiVersion")
    kind: Literal["ScalingPolicy", "HorizontalPodAutoscaler"] = "ScalingPolicy"
    metadata: Metadata
    spec: PolicySpec

    @property
    def name(self) -> str:
        """The policy's name."""
        return self.metadata.name

    @property
    def target(self) -> str:
        """The name of what it scales."""
        return self.spec.scale_target_ref.name


def validate_policy(data: Any) -> Policy:
    """A policy from parsed YAML/JSON; ``PolicyError`` naming the first bad field (e.g. ``spec.maxReplicas``)."""
    try:
        return Policy.model_validate(data)
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "policy"
        raise PolicyError(where, first["msg"]) from e


def check_document(text: str) -> tuple[Policy | None, list[PolicyError]]:
    """One policy from YAML text, or every problem with it, each naming its field (or the line of a YAML error)."""
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "document"
        return None, [PolicyError(where, f"not valid YAML: {getattr(e, 'problem', None) or e}")]
    if len(documents) != 1:
        return None, [PolicyError("document", f"one policy expected, found {len(documents)} documents")]
    try:
        return Policy.model_validate(documents[0]), []
    except ValidationError as e:
        return None, [PolicyError(".".join(str(p) for p in error["loc"]) or "policy", error["msg"])
                      for error in e.errors(include_url=False)]


def document_text(document: dict[str, Any]) -> str:
    """A stored policy document as the YAML the editor shows, keys in the policy's own order."""
    return yaml.safe_dump(document, sort_keys=False)


def document_diff(before: dict[str, Any], after: dict[str, Any]) -> str:
    """A unified diff of two policy documents' YAML; empty when they are the same."""
    old, new = document_text(before).splitlines(keepends=True), document_text(after).splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, "before", "after"))


def load_policies(path: Path) -> list[Policy]:
    """Every policy in a YAML file (one or several documents) or in the ``*.yml`` files of a directory."""
    files = sorted(Path(path).glob("*.yml")) if Path(path).is_dir() else [Path(path)]
    policies = []
    for file in files:
        try:
            documents = [d for d in yaml.safe_load_all(file.read_text()) if d is not None]
        except yaml.YAMLError as e:
            raise PolicyError(file.name, f"not valid YAML: {e}") from e
        for document in documents:
            try:
                policies.append(validate_policy(document))
            except PolicyError as e:
                raise PolicyError(f"{file.name}: {e.field}", e.reason) from e
    return policies
