"""The webhook payload: what is a valid version 4 notification, and how repeats and changes fold into incidents."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from console import store
from console.alerts.models import Incident
from console.alerts.receive import PayloadInvalid, parse, upsert

from payloads import alert, notification

NOW = datetime(2026, 12, 1, 10, 1, tzinfo=UTC)


def without(data: dict, key: str) -> dict:
    return {k: v for k, v in data.items() if k != key}


@pytest.mark.parametrize("data, where", [
    pytest.param({**notification(), "version": "3"}, "version", id="another payload version"),
    pytest.param(without(notification(), "version"), "version", id="no version"),
    pytest.param(without(notification(), "groupKey"), "groupKey", id="no group key"),
    pytest.param({**notification(), "alerts": []}, "alerts", id="no alerts"),
    pytest.param(notification({**alert("a1"), "fingerprint": ""}), "alerts.0.fingerprint", id="empty fingerprint"),
    pytest.param(notification(without(alert("a1"), "startsAt")), "alerts.0.startsAt", id="no start"),
    pytest.param(notification({**alert("a1"), "startsAt": "2026-12-01T10:00:00"}), "alerts.0.startsAt",
                 id="a start without a zone"),
    pytest.param(notification({**alert("a1"), "status": "pending"}), "alerts.0.status", id="unknown status"),
    pytest.param([notification()], "", id="not an object"),
])
def test_it_refuses_what_is_not_a_version_4_payload(data, where):
    with pytest.raises(PayloadInvalid) as refused:
        parse(data)
    assert where in [".".join(map(str, p["loc"])) for p in refused.value.problems]


def test_it_reads_go_zero_end_time_as_no_end():
    hook = parse(notification())
    assert hook.alerts[0].ends_at is None
    assert hook.alerts[0].starts_at == datetime(2026, 12, 1, 10, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def db(oncall_app):
    with oncall_app.app_context():
        yield store.session()


def fold(db, data: dict):
    outcome = upsert(db, parse(data), NOW)
    db.commit()
    return outcome


def test_it_opens_one_incident_for_a_group_and_changes_nothing_on_repeats(db):
    outcomes = [fold(db, notification()) for _ in range(3)]
    assert [(o.created, o.changed) for o in outcomes] == [(True, True), (False, False), (False, False)]
    incident = db.scalars(select(Incident)).one()
    assert (incident.status, incident.severity, incident.service) == ("open", "critical", "payments")
    assert incident.summary == "payments fails half its requests"
    assert [e.kind for e in incident.events] == ["received"]


def test_it_calls_a_new_firing_alert_a_change(db):
    first = fold(db, notification(alert("a1"))).incident
    said = first.content_hash
    second = fold(db, notification(alert("a1"), alert("a2")))
    assert second.changed and second.incident.id == first.id
    assert second.incident.content_hash != said
    assert sorted(a.fingerprint for a in second.incident.alerts) == ["a1", "a2"]


def test_it_describes_a_group_of_several_services_by_its_first_firing_alert_and_how_many_more(db):
    incident = fold(db, notification(alert("a1", status="resolved", service="gateway"),
                                     alert("a2", service="orders"), alert("a3", service="payments"))).incident
    assert (incident.service, incident.summary) == ("orders", "orders fails half its requests (and 1 more firing)")
    incident = fold(db, notification(alert("a1", status="resolved", service="gateway"),
                                     alert("a2", status="resolved", service="orders"),
                                     alert("a3", service="payments"))).incident
    assert (incident.service, incident.summary) == ("payments", "payments fails half its requests")


def test_it_describes_a_group_by_the_firing_alert_that_started_first_whatever_its_place(db):
    # Alertmanager orders a group's alerts by their labels: orders comes before payments, which failed first
    orders = {**alert("a1", service="orders"), "startsAt": "2026-12-01T10:00:15Z"}
    payments = {**alert("a2", service="payments"), "startsAt": "2026-12-01T10:00:00Z"}
    incident = fold(db, notification(orders, payments)).incident
    assert (incident.service, incident.summary) == ("payments", "payments fails half its requests (and 1 more firing)")


def test_it_resolves_the_incident_when_every_alert_resolved(db):
    fold(db, notification(alert("a1"), alert("a2")))
    partly = fold(db, notification(alert("a1", status="resolved"), alert("a2")))
    assert partly.changed and partly.incident.status == "open"
    done = fold(db, notification(alert("a1", status="resolved"), alert("a2", status="resolved")))
    assert done.incident.status == "resolved" and done.incident.resolved_by == "alertmanager"
    assert [e.kind for e in done.incident.events] == ["received", "received", "received", "resolved"]
    assert done.incident.alerts[0].ends_at == datetime(2026, 12, 1, 10, 5, tzinfo=UTC)


def test_it_reopens_when_a_resolved_alert_fires_again_with_new_content(db):
    firing = fold(db, notification(alert("a1"))).incident.content_hash
    fold(db, notification(alert("a1", status="resolved")))
    again = fold(db, notification(alert("a1")))
    assert again.changed and again.incident.status == "open"
    # the same states as the first time, but not the same notification: the hash is chained
    assert again.incident.content_hash != firing
    assert [e.kind for e in again.incident.events][-1] == "reopened"


def test_it_keeps_groups_apart(db):
    fold(db, notification(group_key="a"))
    fold(db, notification(group_key="b"))
    assert len(db.scalars(select(Incident)).all()) == 2


def test_a_new_group_stores_each_alert_once_as_its_last_mention_says(db):
    named_twice = notification(alert("a1"), alert("a2"), alert("a1", status="resolved"))
    opened = fold(db, named_twice).incident
    db.expire_all()
    assert sorted((a.fingerprint, a.status) for a in opened.alerts) == [("a1", "resolved"), ("a2", "firing")]
    assert opened.events[0].text == "1 firing, 1 resolved"
    # the known group's path reads the same states from the stored alerts: the repeat changes nothing
    assert fold(db, named_twice).changed is False


BY_SERVICE = '{}:{alertname="HighErrorRate", service="%s"}'


def incident_states(db) -> dict[int, tuple[str, list[tuple[str, str]]]]:
    db.expire_all()
    return {i.id: (i.status, sorted((a.fingerprint, a.status) for a in i.alerts))
            for i in db.scalars(select(Incident).order_by(Incident.id))}


def test_it_moves_alerts_to_the_groups_alertmanager_makes_after_a_regroup(db):
    old = fold(db, notification(alert("p1"), alert("o1", service="orders"))).incident.id
    # Alertmanager now groups by service too: the old group never sends again, not even resolved
    payments = fold(db, notification(alert("p1"), group_key=BY_SERVICE % "payments"))
    assert (payments.created, payments.changed) == (True, True)
    assert incident_states(db)[old] == ("open", [("o1", "firing"), ("p1", "moved")])
    orders = fold(db, notification(alert("o1", service="orders"), group_key=BY_SERVICE % "orders")).incident.id
    assert incident_states(db) == {old: ("resolved", [("o1", "moved"), ("p1", "moved")]),
                                   payments.incident.id: ("open", [("p1", "firing")]),
                                   orders: ("open", [("o1", "firing")])}
    with_events = db.get(Incident, old)
    assert [e.kind for e in with_events.events][-3:] == ["regrouped", "regrouped", "resolved"]
    assert with_events.events[-1].text == f"its alerts went on in incident #{orders}"
    assert with_events.resolved_by == "alertmanager"


@pytest.mark.parametrize("other", [
    pytest.param(dict(group_key='{}/{severity="critical"}:{alertname="HighErrorRate"}'), id="another route"),
    pytest.param(dict(receiver="pager"), id="another receiver"),
])
def test_it_leaves_an_alert_that_another_route_also_holds(db, other):
    first = fold(db, notification(alert("p1"))).incident.id
    second = {**notification(alert("p1"), group_key=other.get("group_key", BY_SERVICE % "payments"))}
    if "receiver" in other:
        second["receiver"] = other["receiver"]
    fold(db, second)
    assert incident_states(db)[first] == ("open", [("p1", "firing")])


def test_it_leaves_resolved_alerts_where_they_are(db):
    old = fold(db, notification(alert("p1"), alert("o1", service="orders"))).incident.id
    fold(db, notification(alert("p1", status="resolved"), group_key=BY_SERVICE % "payments"))
    assert incident_states(db)[old] == ("open", [("o1", "firing"), ("p1", "firing")])
