"""On-call schedules: who is on call at a given moment, from a rotation and its overrides.

A rotation hands over every day or every week at a local time of its time zone (``zoneinfo``,
so a hand-off at 09:00 stays at 09:00 across daylight-saving changes), going through its people
in order from the first hand-off on or after ``start``. An override puts someone else on call
for a window. Pure: every answer is a function of the schedule and the moment asked about.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from console.zone import known_zone

__all__ = ["OnCall", "Person", "Schedule", "on_call", "rotation"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Person(_Strict):
    """Someone who can be on call, and where to reach them."""

    name: str = Field(min_length=1, max_length=64)
    email: str = Field(pattern=r"^[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+$")


class Override(_Strict):
    """``person`` is on call from ``start`` to ``end`` instead of the rotation."""

    person: Person
    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _window(self) -> Override:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end need a UTC offset, e.g. 2026-12-24T18:00:00+01:00")
        if self.end <= self.start:
            raise ValueError("end must come after start")
        return self


class Handoff(_Strict):
    """When the rotation moves on: ``every`` day or week, ``at`` a local time (weekly: ``"mon 09:00"``)."""

    every: str = Field(pattern="^(day|week)$")
    at: str

    @model_validator(mode="after")
    def _at(self) -> Handoff:
        self.moment()
        return self

    def moment(self) -> tuple[int | None, time]:
        """(weekday 0-6 or None for daily, local time of day)."""
        parts = self.at.split()
        if (self.every == "week") != (len(parts) == 2) or (len(parts) == 2 and parts[0].lower() not in WEEKDAYS):
            raise ValueError('give "HH:MM" for a daily hand-off, "mon HH:MM" (a weekday) for a weekly one')
        try:
            clock = time.fromisoformat(parts[-1])
        except ValueError as e:
            raise ValueError(f"not a time of day: {parts[-1]!r}") from e
        return (WEEKDAYS.index(parts[0].lower()) if len(parts) == 2 else None), clock


class Schedule(_Strict):
    """A rotation through ``people`` with hand-offs, in ``timezone``, plus overrides."""

    name: str = Field(min_length=1, max_length=100)
    timezone: str = "UTC"
    handoff: Handoff
    start: date
    people: list[Person] = Field(min_length=1)
    overrides: list[Override] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return known_zone(value)


@dataclass(frozen=True)
class OnCall:
    """Who is on call (None before the rotation starts), since when, until when, and who comes next."""

    person: Person | None
    since: datetime | None
    until: datetime
    next: Person | None


def on_call(schedule: Schedule, at: datetime) -> OnCall:
    """Who is on call in ``schedule`` at ``at`` (an aware datetime): an override, else the rotation."""
    override = next((o for o in schedule.overrides if o.start <= at < o.end), None)
    if override is not None:
        return OnCall(override.person, override.start, override.end, rotation(schedule, override.end).person)
    current = rotation(schedule, at)
    upcoming = min((o for o in schedule.overrides if at < o.start < current.until), key=lambda o: o.start,
                   default=None)
    if upcoming is not None:
        return OnCall(current.person, current.since, upcoming.start, upcoming.person)
    return current


def rotation(schedule: Schedule, at: datetime) -> OnCall:
    """Who the rotation alone puts on call at ``at``."""
    zone = ZoneInfo(schedule.timezone)
    weekday, clock = schedule.handoff.moment()
    step = 7 if weekday is not None else 1
    first = schedule.start + timedelta(days=(weekday - schedule.start.weekday()) % 7 if weekday is not None else 0)

    def handoff_on(day: date) -> datetime:
        return datetime.combine(day, clock, tzinfo=zone)

    local = at.astimezone(zone)
    if local < handoff_on(first):
        return OnCall(None, None, handoff_on(first), schedule.people[0])
    # the local date of the latest hand-off at or before ``at``
    day = local.date()
    if weekday is not None:
        day -= timedelta(days=(day.weekday() - weekday) % 7)
    if handoff_on(day) > local:
        day -= timedelta(days=step)
    shift, people = (day - first).days // step, schedule.people
    return OnCall(people[shift % len(people)], handoff_on(day), handoff_on(day + timedelta(days=step)),
                  people[(shift + 1) % len(people)])
