"""The metrics of a scaling policy: PromQL with a target, and the built-in queries of the shop.

``Pods`` and ``Resource`` metrics answer one value per replica (grouped by the ``replica`` label
the local file_sd sets), ``External`` metrics one number. Also the pieces every policy model
shares: the name pattern, quantities (``500m``, ``2k``) and ``PolicyError``.
"""
from __future__ import annotations

import re
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from console.backends.prometheus import escape_label_value
from console.errors import UsageProblem

__all__ = ["NAME", "MetricSpec", "MetricTarget", "PolicyError", "Quantity", "StrictModel", "parse_quantity"]

NAME = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
_SUFFIXES = {"m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 1024.0, "Mi": 1024.0**2, "Gi": 1024.0**3}
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(m|k|M|G|Ki|Mi|Gi)?$")


class PolicyError(UsageProblem):
    """A policy that does not validate; carries the offending field (``spec.maxReplicas``) and why."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def parse_quantity(value: Any) -> Any:
    """A Kubernetes quantity (``"500m"``, ``"2k"``, ``3``) as a float; anything else is left for pydantic to refuse."""
    if isinstance(value, str):
        match = _QUANTITY.match(value.strip())
        if not match:
            raise ValueError(f"{value!r} is not a quantity such as 5, 0.5, 500m or 2k")
        return float(match.group(1)) * _SUFFIXES[match.group(2) or ""]
    return value


Quantity = Annotated[float, BeforeValidator(parse_quantity), Field(gt=0)]


class StrictModel(BaseModel):
    """A policy section: unknown keys refused, fields by their YAML (camelCase) or Python names."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class MetricTarget(StrictModel):
    """The target of one metric: a total ``Value`` or a per-replica ``AverageValue`` / ``Utilization``."""

    type: Literal["Value", "AverageValue", "Utilization"]
    value: Quantity | None = None
    average_value: Quantity | None = Field(default=None, alias="averageValue")
    average_utilization: int | None = Field(default=None, alias="averageUtilization", gt=0)

    @model_validator(mode="after")
    def _one_number(self) -> MetricTarget:
        field = {"Value": "value", "AverageValue": "average_value", "Utilization": "average_utilization"}[self.type]
        if getattr(self, field) is None:
            raise ValueError(f"target type {self.type} needs {type(self).model_fields[field].alias or field}")
        return self


class MetricIdentifier(StrictModel):
    """A metric's name (a built-in of the shop when no query is given)."""

    name: str = Field(min_length=1, max_length=128)


class MetricSource(StrictModel):
    """A Pods or External metric: its name, optionally its PromQL, and its target."""

    metric: MetricIdentifier
    query: str | None = Field(default=None, min_length=1, max_length=4000)
    target: MetricTarget


class ResourceSource(StrictModel):
    """CPU per replica, in cores (``AverageValue``) or percent of ``request`` cores (``Utilization``)."""

    name: Literal["cpu"]
    request: Quantity = 1.0
    target: MetricTarget


class MetricSpec(StrictModel):
    """One metric of the policy, in the HPA's shape."""

    type: Literal["Pods", "External", "Resource"]
    pods: MetricSource | None = None
    external: MetricSource | None = None
    resource: ResourceSource | None = None

    @model_validator(mode="after")
    def _source_matches_type(self) -> MetricSpec:
        key = self.type.lower()
        if getattr(self, key) is None:
            raise ValueError(f"a {self.type} metric needs its '{key}' section")
        extra = [k for k in ("pods", "external", "resource") if k != key and getattr(self, k) is not None]
        if extra:
            raise ValueError(f"a {self.type} metric takes no '{extra[0]}' section")
        target = self.source.target.type
        if self.type == "Pods" and target != "AverageValue":
            raise ValueError("a Pods metric takes an AverageValue target")
        if self.type == "External" and target == "Utilization":
            raise ValueError("an External metric takes a Value or AverageValue target")
        if self.type == "Resource" and target == "Value":
            raise ValueError("a Resource metric takes an AverageValue or Utilization target")
        return self

    @cached_property
    def source(self) -> MetricSource | ResourceSource:
        """The section that matches ``type``."""
        return getattr(self, self.type.lower())

    @cached_property
    def name(self) -> str:
        """The metric's name as decisions and pages show it."""
        return "cpu" if self.type == "Resource" else self.source.metric.name

    @property
    def per_replica(self) -> bool:
        """Whether the query answers one value per replica (Pods, Resource) rather than one number."""
        return self.type != "External"

    def promql(self, service: str) -> str:
        """The PromQL that measures this metric for ``service``; PolicyError for an unknown built-in name."""
        if self.type != "Resource" and self.source.query:
            return self.source.query
        svc = f'service="{escape_label_value(service)}"'
        builtin = {
            ("Resource", "cpu"): f"sum by (replica) (rate(process_cpu_seconds_total{{{svc}}}[1m]))",
            ("Pods", "http_requests_per_second"): f"sum by (replica) (rate(http_requests_total{{{svc}}}[1m]))",
            ("External", "http_requests_per_second"): f"sum(rate(http_requests_total{{{svc}}}[1m]))",
            ("External", "http_request_duration_p95_seconds"):
                f"histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{{{svc}}}[1m])))",
            ("External", "payments_stream_consumer_lag"): "max(payments_stream_consumer_lag)",
        }
        try:
            return builtin[(self.type, self.name)]
        except KeyError:
            raise PolicyError(f"metrics.{self.name}", f"no built-in {self.type} metric of that name: give a query") from None
