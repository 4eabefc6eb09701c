"""The escalation timer: the steps of unacknowledged incidents, sent when due.

Steps are rows planned when an incident opens (``schedule``), so a console that restarts, or
another console on the same database, takes the timers up: every ``ESCALATION_TICK`` seconds
the steps now due are claimed one by one with a conditional UPDATE (none is sent twice), then
sent through the channel they name, unless their incident was acknowledged or resolved
meanwhile, which cancels them. Each outcome is on the incident's timeline.
"""
from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from console.alerts.escalation import EscalationPolicy, OnCallConfig, Target, plan, route
from console.alerts.models import EscalationStep, Incident, IncidentEvent
from console.alerts.schedules import on_call
from console.alerts.notify import Backoff, Notifier, send_with_retry
from console.errors import NotifyError
from console.store import new_session, utcnow

__all__ = ["Escalator", "schedule"]

log = logging.getLogger(__name__)
ACTOR = "escalation"
# a step "sending" for longer than this was left by a process that died: it may be taken again
STALE = timedelta(minutes=10)


def schedule(db: Session, incident: Incident, policies: list[EscalationPolicy], now: datetime) -> int:
    """Plan the escalation of an open incident that has none pending: its policy's ladder from ``now``; how many."""
    # the labels all its alerts share, and the service and severity it was filed under (from its first alert)
    labels = {k: v for k, v in (("service", incident.service), ("severity", incident.severity)) if v}
    policy = route(policies, {**labels, **incident.labels})
    if policy is None or incident.status != "open":
        return 0
    pending = db.scalar(select(EscalationStep.id).where(EscalationStep.incident_id == incident.id,
                                                        EscalationStep.state.in_(("pending", "sending"))).limit(1))
    if pending is not None:
        return 0
    # a ladder that ran out (or one from before a resolve) makes way for the new one
    db.execute(delete(EscalationStep).where(EscalationStep.incident_id == incident.id))
    steps = [EscalationStep(incident_id=incident.id, policy=policy.name, round=rnd, step=index,
                            target=policy.steps[index].notify.model_dump(exclude_none=True), due_at=due,
                            state="pending", updated_at=now)
             for rnd, index, due in plan(policy, now)]
    db.add_all(steps)
    return len(steps)


class Escalator:
    """Sends the due steps through ``notifier``'s channels; ``tick(now)`` is one pass, ``start`` runs it every ``tick_s``."""

    def __init__(self, app: Flask, notifier: Notifier, backoff: Backoff, oncall: OnCallConfig, *, tick_s: float,
                 on_result=lambda channel, result: None):
        self.app, self.notifier, self.backoff, self.oncall, self.tick_s = app, notifier, backoff, oncall, tick_s
        self.on_result = on_result
        self._scheduler: BackgroundScheduler | None = None

    def tick(self, now: datetime) -> int:
        """Send (or cancel) every step due at ``now``; how many were sent."""
        with self.app.app_context(), new_session() as db:
            due = list(db.scalars(select(EscalationStep.id).where(_claimable(now)).order_by(EscalationStep.due_at)))
            return sum(self._run(db, step_id, now) for step_id in due)

    def _run(self, db: Session, step_id: int, now: datetime) -> bool:
        claimed = db.execute(update(EscalationStep).where(EscalationStep.id == step_id, _claimable(now))
                             .values(state="sending", updated_at=utcnow())).rowcount
        db.commit()
        if not claimed:
            return False  # another console took it
        step = db.get(EscalationStep, step_id)
        incident = db.get(Incident, step.incident_id)
        if incident.status != "open":
            step.state, step.updated_at = "cancelled", utcnow()
            db.commit()
            return False
        target = Target.model_validate(step.target)
        where = f"step {step.step + 1} of {step.policy}" + (f", round {step.round + 1}" if step.round else "")
        channel, whom = self._channel(target, now)
        if channel is None:
            return self._end(db, incident, step, "failed", f"{where}: {whom}", None)
        message = self.notifier.message_for(db, incident, channel.name)
        message = dataclasses.replace(message, subject=f"[ESCALATED] {message.subject}")
        try:
            send_with_retry(lambda: channel.send(message), self.backoff)
        except NotifyError as e:
            return self._end(db, incident, step, "failed", f"{where}: {whom}: {e.detail}", channel.name)
        return self._end(db, incident, step, "sent", f"{where}: {whom}", channel.name)

    def _channel(self, target: Target, now: datetime):
        """The channel to send a step through and whom it reaches, or (None, why not)."""
        if target.channel is not None:
            found = self.notifier.channels.get(target.channel)
            return found, target.describe() if found else f"{target.describe()}: not configured"
        recipients, whom = tuple(target.email or ()), target.describe()
        if target.schedule is not None:
            person = on_call(self.oncall.schedule(target.schedule), now).person
            if person is None:
                return None, f"{target.describe()}: nobody is on call yet"
            recipients, whom = (person.email,), f"email to {person.name} <{person.email}>, on call in {target.schedule}"
        email = self.notifier.channels.get("email")
        if email is None:
            return None, f"{whom}: no mail server is configured"
        # people: the configured mail server and sender, other recipients
        return dataclasses.replace(email, recipients=recipients), whom

    def _end(self, db: Session, incident: Incident, step: EscalationStep, state: str, text: str,
             channel: str | None) -> bool:
        step.state, step.updated_at = state, utcnow()
        kind = "escalated" if state == "sent" else "escalation_failed"
        db.add(IncidentEvent(incident_id=incident.id, at=utcnow(), kind=kind, actor=ACTOR, text=text,
                             detail={"policy": step.policy, "round": step.round, "step": step.step}))
        db.commit()
        if channel is not None:
            self.on_result(channel, state)
        return state == "sent"

    def start(self) -> None:
        """Run ``tick`` every ``tick_s`` seconds in the background."""
        scheduler = BackgroundScheduler(timezone="UTC")
        scheduler.add_job(lambda: self.tick(utcnow()), "interval", seconds=self.tick_s, id="escalation-tick",
                          max_instances=1, coalesce=True)
        scheduler.start()
        self._scheduler = scheduler

    def stop(self) -> None:
        """Stop ticking."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None


def _claimable(now: datetime):
    return or_(and_(EscalationStep.state == "pending", EscalationStep.due_at <= now),
               and_(EscalationStep.state == "sending", EscalationStep.updated_at < now - STALE))
