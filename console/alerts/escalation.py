"""Escalation policies: who else hears of an incident nobody acknowledges, and when.

A policy matches alert labels (``severity``, ``service``, ``team``, ...; the first policy whose
labels all match wins) and lists steps, each ``after`` a delay from the incident's opening:
notify the configured channels again, or email named people (the secondary, the team lead),
and ``repeat`` the whole ladder a number of times, every ``repeat_after``. The first page is
the notification every change sends; the steps come on top, until someone acknowledges.

Read from YAML (``rules/oncall/escalation.yml``) with the schedules its steps may name (the person
on call when the step is due), validated with errors that name the field.
Planning is pure: ``plan(policy, opened_at)`` lists every step's due time.
"""
from __future__ import annotations

from datetime import datetime, timedelta
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from console.alerts.schedules import Schedule
from console.errors import ConfigError
from console.rules.duration import parse_duration

__all__ = ["EscalationPolicy", "OnCallConfig", "Step", "Target", "load_oncall", "plan", "route"]

MAX_REPEAT = 10
ADDRESS = re.compile(r"[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Target(_Strict):
    """Whom a step notifies: one configured channel again (``email``, ``chat``, ``webhook``), or named people."""

    channel: str | None = None
    email: list[str] | None = Field(default=None, min_length=1)
    schedule: str | None = None  # whoever that schedule has on call when the step is due

    @field_validator("email")
    @classmethod
    def _addresses(cls, value: list[str] | None) -> list[str] | None:
        bad = [a for a in value or [] if not ADDRESS.fullmatch(a)]
        if bad:
            raise ValueError(f"not an email address: {', '.join(bad)}")
        return value

    @model_validator(mode="after")
    def _one(self) -> Target:
        if sum(x is not None for x in (self.channel, self.email, self.schedule)) != 1:
            raise ValueError("give exactly one of channel, email or schedule")
        return self

    def describe(self) -> str:
        """The target as the timeline says it."""
        if self.channel:
            return f"{self.channel} channel"
        if self.schedule:
            return f"whoever is on call in {self.schedule}"
        return "email to " + ", ".join(self.email or [])


class Step(_Strict):
    """Notify ``notify`` when the incident is still unacknowledged ``after`` its opening."""

    after: str
    notify: Target

    @field_validator("after")
    @classmethod
    def _duration(cls, value: str) -> str:
        if parse_duration(value) <= 0:
            raise ValueError("must be longer than 0s: the first page is the notification itself")
        return value

    @property
    def after_seconds(self) -> float:
        """``after`` in seconds."""
        return parse_duration(self.after)


class EscalationPolicy(_Strict):
    """The steps for the incidents whose labels match ``match``; the ladder runs ``repeat`` more times."""

    name: str = Field(min_length=1, max_length=100)
    match: dict[str, str] = Field(default_factory=dict)
    steps: list[Step] = Field(min_length=1)
    repeat: int = Field(default=0, ge=0, le=MAX_REPEAT)
    repeat_after: str | None = None

    @field_validator("repeat_after")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None and parse_duration(value) <= 0:
            raise ValueError("must be longer than 0s")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> EscalationPolicy:
        delays = [s.after_seconds for s in self.steps]
        if delays != sorted(delays):
            raise ValueError("steps must come in the order of their delays")
        return self

    def period(self) -> float:
        """Seconds between two runs of the ladder: ``repeat_after``, or the last step's delay (at least a minute)."""
        return parse_duration(self.repeat_after) if self.repeat_after else max(60.0, self.steps[-1].after_seconds)


class OnCallConfig(_Strict):
    """The on-call file: schedules (who is on call when) and escalation policies (who else hears, and when)."""

    schedules: list[Schedule] = Field(default_factory=list)
    policies: list[EscalationPolicy] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_schedules(self) -> OnCallConfig:
        names = {s.name for s in self.schedules}
        unknown = sorted({step.notify.schedule for p in self.policies for step in p.steps
                          if step.notify.schedule and step.notify.schedule not in names})
        if unknown:
            raise ValueError(f"steps name schedules that are not defined: {', '.join(unknown)}")
        return self

    def schedule(self, name: str) -> Schedule:
        """The schedule named ``name``."""
        return next(s for s in self.schedules if s.name == name)


def load_oncall(path: Path) -> OnCallConfig:
    """The schedules and policies of a YAML file; none when it does not exist; ``ConfigError`` naming the field."""
    if not path.exists():
        return OnCallConfig()
    try:
        data: Any = yaml.safe_load(path.read_text()) or {}
        return OnCallConfig.model_validate(data)
    except yaml.YAMLError as e:
        raise ConfigError("ONCALL_POLICIES", f"{path} is not valid YAML") from e
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise ConfigError("ONCALL_POLICIES", f"{path}: {where}: {first['msg']}") from e


def route(policies: list[EscalationPolicy], labels: dict[str, str]) -> EscalationPolicy | None:
    """The first policy whose ``match`` labels all equal the incident's (an empty ``match`` takes any)."""
    return next((p for p in policies if all(labels.get(k) == v for k, v in p.match.items())), None)


def plan(policy: EscalationPolicy, opened_at: datetime) -> list[tuple[int, int, datetime]]:
    """``(round, step index, due time)`` of every step of ``policy`` for an incident opened at ``opened_at``."""
    return [(rnd, index, opened_at + timedelta(seconds=rnd * policy.period() + step.after_seconds))
            for rnd in range(policy.repeat + 1) for index, step in enumerate(policy.steps)]
