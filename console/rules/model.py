"""An alert rule as the console edits it: the fields of a Prometheus alerting rule plus its group."""
from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from console.rules.duration import canonical, parse_duration

LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# Prometheus refuses an alert name that is not a valid metric name
ALERT_NAME = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
# a group name becomes a file name under the rules directory, so keep it to safe characters
GROUP_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class Rule(BaseModel):
    """One alerting rule: ``alert`` in ``group``, firing when ``expr`` has held for ``for``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True, json_schema_extra={"examples": [{
        "group": "shop", "alert": "GatewayHighErrorRate",
        "expr": 'sum(rate(http_requests_total{service="gateway",status=~"5.."}[1m])) > 1',
        "for": "1m", "keep_firing_for": "0s", "labels": {"severity": "page"},
        "annotations": {"summary": "the gateway answers with errors"}}]})

    group: str = Field(min_length=1, max_length=100, pattern=GROUP_NAME)
    alert: str = Field(min_length=1, max_length=128, pattern=ALERT_NAME)
    expr: str = Field(min_length=1, max_length=10_000)
    for_: str = Field(default="0s", alias="for", max_length=32)
    keep_firing_for: str = Field(default="0s", max_length=32)
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)

    @field_validator("for_", "keep_firing_for")
    @classmethod
    def _duration(cls, value: str) -> str:
        return canonical(value)

    @field_validator("labels", "annotations")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [name for name in value if not LABEL_NAME.match(name)]
        if bad:
            raise ValueError(f"invalid label name {bad[0]!r}: must match [a-zA-Z_][a-zA-Z0-9_]*")
        # sorted: the same rule always renders to the same bytes
        return dict(sorted(value.items()))

    @field_validator("expr")
    @classmethod
    def _expr(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the expression is empty")
        return value.strip()

    @property
    def hold_seconds(self) -> float:
        """``for`` in seconds: how long the expression must hold before the alert fires."""
        return parse_duration(self.for_)

    @property
    def keep_firing_seconds(self) -> float:
        """``keep_firing_for`` in seconds: how long a firing alert outlives its condition."""
        return parse_duration(self.keep_firing_for)

    def spec(self) -> dict:
        """The JSON form, with ``for`` under its own name."""
        return self.model_dump(by_alias=True)
