"""Escalation: policies read and checked, steps planned when an incident opens, sent when due through the real
SMTP server and our chat server, cancelled by an ack, taken up by another console on the same database (a restart),
never sent twice."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from console import auth, store
from console.alerts import escalator, notifier, oncall_config
from console.alerts.escalation import EscalationPolicy, load_oncall, plan, route
from console.alerts.models import EscalationStep, Incident
from console.alerts.schedules import on_call
from console.errors import ConfigError
from console.store import utcnow

from kit import eventually, log_in

from alertkit import TOKEN, oncall_settings
from payloads import notification

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)
POLICIES = """
policies:
  - name: payments
    match: {service: payments}
    steps:
      - after: 2s
        notify: {email: [secondary@example.test]}
      - after: 4s
        notify: {channel: chat}
  - name: everything else
    steps:
      - after: 10m
        notify: {channel: email}
"""


def policy(**fields) -> EscalationPolicy:
    return EscalationPolicy.model_validate({"name": "p", "steps": [{"after": "5m", "notify": {"channel": "email"}}],
                                            **fields})


def test_it_plans_every_step_of_every_round():
    p = policy(steps=[{"after": "5m", "notify": {"email": ["b@example.test"]}},
                      {"after": "15m", "notify": {"channel": "chat"}}], repeat=1)
    assert [(r, i, due - T0) for r, i, due in plan(p, T0)] == [
        (0, 0, timedelta(minutes=5)), (0, 1, timedelta(minutes=15)),
        (1, 0, timedelta(minutes=20)), (1, 1, timedelta(minutes=30))]  # the ladder again after its last step
    assert [due - T0 for _, _, due in plan(policy(repeat=2, repeat_after="1h"), T0)] == \
        [timedelta(minutes=5), timedelta(minutes=65), timedelta(minutes=125)]


def test_it_routes_on_the_first_policy_whose_labels_all_match():
    policies = [policy(name="payments pages", match={"service": "payments", "severity": "page"}),
                policy(name="team shop", match={"team": "shop"}), policy(name="default")]
    assert route(policies, {"service": "payments", "severity": "page", "team": "shop"}).name == "payments pages"
    assert route(policies, {"service": "payments", "severity": "ticket", "team": "shop"}).name == "team shop"
    assert route(policies, {"service": "catalog"}).name == "default"
    assert route(policies[:2], {"service": "catalog"}) is None


@pytest.mark.parametrize("text, where", [
    pytest.param("policies: [{name: x, steps: []}]", "policies.0.steps", id="no steps"),
    pytest.param("policies: [{name: x, steps: [{after: 0s, notify: {channel: chat}}]}]", "policies.0.steps.0.after",
                 id="a step at 0s: the first page is the notification"),
    pytest.param("policies: [{name: x, steps: [{after: 5m, notify: {channel: chat, email: [a@b.c]}}]}]",
                 "policies.0.steps.0.notify", id="two targets"),
    pytest.param("policies: [{name: x, steps: [{after: 5m, notify: {email: [nobody]}}]}]",
                 "policies.0.steps.0.notify.email", id="not an address"),
    pytest.param("policies: [{name: x, steps: [{after: 10m, notify: {channel: a}}, {after: 5m, notify: {channel: b}}]}]",
                 "policies.0", id="steps out of order"),
    pytest.param("policies: [{name: x, repeat: 99, steps: [{after: 5m, notify: {channel: a}}]}]",
                 "policies.0.repeat", id="too many rounds"),
    pytest.param("policies: [{name: x, steps: [{after: 5m, notify: {schedule: nights}}]}]", "the file",
                 id="a schedule that is not defined"),
])
def test_it_names_the_field_of_a_bad_policy(tmp_path, text, where):
    path = tmp_path / "escalation.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as refused:
        load_oncall(path)
    assert f": {where}: " in str(refused.value)


@pytest.fixture
def policies_file(tmp_path):
    path = tmp_path / "escalation.yml"
    path.write_text(POLICIES)
    return str(path)


def page(app) -> datetime:
    answer = app.test_client().post("/api/v1/alertmanager/webhook", json=notification(),
                                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and notifier(app).wait_idle(10)
    return utcnow()


def timeline(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.kind, e.text) for e in store.session().scalars(select(Incident)).one().events
                if e.kind.startswith("escalat")]


def test_it_escalates_past_the_delay_keeps_the_timer_across_a_restart_and_stops_at_the_ack(
        make_console, smtp, chat, policies_file, tmp_path):
    inbox, _ = smtp
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    settings = {**oncall_settings(smtp, chat), "ONCALL_POLICIES": policies_file, "DATABASE_URL": database,
                "NOTIFY_EVIDENCE": False}
    first = make_console(**settings)
    paged = page(first)
    assert len(inbox.messages) == 1 and len(chat.posts) == 1  # the first page, to the configured channels
    assert escalator(first).tick(paged + timedelta(seconds=1)) == 0  # not yet due
    planned = log_in(first).get("/incidents/1").get_data(as_text=True)
    assert planned.count('data-state="pending"') == 2 and "email to secondary@example.test" in planned

    # the console restarts: a new one on the same database takes the timer up
    second = make_console(**settings)
    assert escalator(second).tick(paged + timedelta(seconds=3)) == 1
    escalated = inbox.messages[1]
    assert escalated.recipients == ["secondary@example.test"] and "[ESCALATED] [FIRING:1]" in escalated.text
    assert timeline(second) == [("escalated", "step 1 of payments: email to secondary@example.test")]
    # the first console ticking at the same time finds nothing left to send
    assert escalator(first).tick(paged + timedelta(seconds=3)) == 0 and len(inbox.messages) == 2

    with second.app_context():
        db = store.session()
        token, _ = auth.create_token(db, role="operator", name="bob")
    assert second.test_client().post("/api/v1/incidents/1/ack",
                                     headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert escalator(second).tick(paged + timedelta(seconds=5)) == 0
    assert len(chat.posts) == 1  # the chat step was cancelled by the ack
    with second.app_context():
        states = [s.state for s in store.session().scalars(select(EscalationStep).order_by(EscalationStep.step))]
    assert states == ["sent", "cancelled"]


def test_it_plans_nothing_without_a_matching_policy(make_console, smtp, chat, tmp_path):
    path = tmp_path / "escalation.yml"
    path.write_text("policies: [{name: catalog, match: {service: catalog}, steps: [{after: 1s, notify: {channel: chat}}]}]")
    app = make_console(**oncall_settings(smtp, chat), ONCALL_POLICIES=str(path), NOTIFY_EVIDENCE=False)
    paged = page(app)
    assert escalator(app).tick(paged + timedelta(hours=1)) == 0
    with app.app_context():
        assert store.session().scalars(select(EscalationStep)).all() == []


def test_it_runs_the_timer_by_itself_where_the_loop_is_on(make_console, smtp, chat, policies_file):
    inbox, _ = smtp
    app = make_console(**oncall_settings(smtp, chat), ONCALL_POLICIES=policies_file, NOTIFY_EVIDENCE=False,
                       ESCALATION_LOOP=True, ESCALATION_TICK=0.5)
    page(app)
    # the timeline is written once a step's send returned: wait for it, not for the messages
    eventually(lambda: [kind for kind, _ in timeline(app)] == ["escalated", "escalated"], timeout=15, interval=0.2,
               what="both steps escalated by the timer")
    assert len(inbox.messages) == 2 and len(chat.posts) == 2


def test_it_pages_whoever_the_schedule_has_on_call_when_the_step_is_due(make_console, smtp, chat, tmp_path):
    inbox, _ = smtp
    path = tmp_path / "oncall.yml"
    path.write_text("""
schedules:
  - name: primary
    timezone: Europe/Berlin
    handoff: {every: day, at: "09:00"}
    start: 2026-01-01
    people: [{name: alice, email: alice@example.test}, {name: bob, email: bob@example.test}]
policies:
  - name: payments
    steps: [{after: 1s, notify: {schedule: primary}}]
""")
    app = make_console(**oncall_settings(smtp, chat), ONCALL_POLICIES=str(path), NOTIFY_EVIDENCE=False)
    due = page(app) + timedelta(seconds=2)
    assert escalator(app).tick(due) == 1
    person = on_call(oncall_config(app).schedule("primary"), due).person
    assert inbox.messages[-1].recipients == [person.email]
    assert timeline(app) == [("escalated", f"step 1 of payments: email to {person.name} <{person.email}>, "
                                           "on call in primary")]
