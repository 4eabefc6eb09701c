"""On-call schedules: the rotation by local hand-off time (daylight saving included), overrides, who is next."""
from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from console.alerts.schedules import Schedule, on_call

PEOPLE = [{"name": "alice", "email": "alice@example.test"}, {"name": "bob", "email": "bob@example.test"},
          {"name": "carol", "email": "carol@example.test"}]


def schedule(**fields) -> Schedule:
    return Schedule.model_validate({"name": "s", "timezone": "Europe/Berlin", "start": "2026-11-30",
                                    "handoff": {"every": "week", "at": "mon 09:00"}, "people": PEOPLE, **fields})


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize("moment, who, until, following", [
    pytest.param("2026-11-30T07:59:59+00:00", None, "2026-11-30T09:00:00+01:00", "alice", id="before the first hand-off"),
    pytest.param("2026-11-30T08:00:00+00:00", "alice", "2026-12-07T09:00:00+01:00", "bob", id="the first hand-off"),
    pytest.param("2026-12-07T07:59:00+00:00", "alice", "2026-12-07T09:00:00+01:00", "bob", id="a minute before the next"),
    pytest.param("2026-12-16T12:00:00+00:00", "carol", "2026-12-21T09:00:00+01:00", "alice", id="the third week"),
    pytest.param("2026-12-21T08:00:00+00:00", "alice", "2026-12-28T09:00:00+01:00", "bob", id="round again"),
])
def test_it_rotates_weekly_at_the_local_hand_off(moment, who, until, following):
    now = on_call(schedule(), at(moment))
    assert (now.person and now.person.name, now.until, now.next.name) == (who, at(until), following)


def test_it_hands_off_at_the_same_local_time_across_daylight_saving():
    daily = schedule(start="2027-03-27", handoff={"every": "day", "at": "09:00"})
    # 28 March 2027 is the spring change in Berlin: 09:00 local is 08:00 UTC before, 07:00 UTC after
    assert on_call(daily, at("2027-03-27T08:00:00+00:00")).person.name == "alice"
    assert on_call(daily, at("2027-03-28T06:59:00+00:00")).person.name == "alice"
    assert on_call(daily, at("2027-03-28T07:00:00+00:00")).person.name == "bob"
    assert on_call(daily, at("2027-03-28T07:00:00+00:00")).until == at("2027-03-29T09:00:00+02:00")


def test_it_puts_an_override_on_call_for_its_window():
    dave = {"name": "dave", "email": "dave@example.test"}
    s = schedule(overrides=[{"person": dave, "start": "2026-12-02T18:00:00+01:00", "end": "2026-12-03T09:00:00+01:00"}])
    before = on_call(s, at("2026-12-02T12:00:00+01:00"))
    assert (before.person.name, before.until, before.next.name) == ("alice", at("2026-12-02T18:00:00+01:00"), "dave")
    during = on_call(s, at("2026-12-02T23:00:00+01:00"))
    assert (during.person.name, during.until, during.next.name) == ("dave", at("2026-12-03T09:00:00+01:00"), "alice")
    assert on_call(s, at("2026-12-03T09:00:00+01:00")).person.name == "alice"


@pytest.mark.parametrize("fields, where", [
    pytest.param({"timezone": "Mars/Olympus"}, "timezone", id="unknown zone"),
    pytest.param({"handoff": {"every": "week", "at": "09:00"}}, "handoff", id="weekly without a weekday"),
    pytest.param({"handoff": {"every": "day", "at": "25:00"}}, "handoff", id="not a time"),
    pytest.param({"people": []}, "people", id="nobody"),
    pytest.param({"overrides": [{"person": PEOPLE[0], "start": "2026-12-02T18:00:00", "end": "2026-12-03T09:00:00"}]},
                 "overrides", id="override without an offset"),
])
def test_it_names_the_field_of_a_bad_schedule(fields, where):
    with pytest.raises(ValidationError) as refused:
        schedule(**fields)
    assert refused.value.errors()[0]["loc"][0] == where
