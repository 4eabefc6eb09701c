"""The scaling loop: every period the leader reads each policy's metrics, decides, applies and records.

Every console runs the loop; the lease (``console.scaling.lease``, a database row; or, when the
executor is Kubernetes, a ``coordination.k8s.io`` Lease through ``console.scaling.kubelease``) makes
one of them the leader and only the leader acts. The lease is renewed (or, by a follower, tried) twice per period and
lasts one and a half periods, so a dead leader is replaced within two periods. A tick skips a
target under an unexpired manual override, hands ``decide`` the recommendations and scale events
kept in the store (a new leader stabilizes as the old one would have), and scales only when the
decision differs from the replicas the executor reports: a tick repeated, or run by a second
leader after a takeover, finds the count already there and applies nothing twice.
"""
from __future__ import annotations

import logging
import math
import os
import socket
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from console import store
from console.backends import get_backends
from console.errors import BackendError, OpsError
from console.scaling import kubelease, lease, recorded
from console.scaling.forecaster import REFIT_SECONDS, Forecaster
from console.scaling.engine import HISTORY_SECONDS, History, Recommendation, ScaleEvent, decide
from console.scaling.models import (
    PolicyRecord,
    RecommendationRecord,
    ScaleOverride,
    ScaleRecord,
)
from console.scaling.policy import MetricSpec, Policy, PolicyError
from console.scaling.service import record_decision
from console.store.models import utcnow

__all__ = ["DEFAULT_PERIOD", "Loop", "history", "measure", "observe"]

DEFAULT_PERIOD = 15.0
# how long after its grid time a tick runs: the scrapes up to that time are stored by then
TICK_DELAY = 0.5
CATCH_UP = 3  # missed grid slots a late tick still decides for, oldest first
log = logging.getLogger(__name__)


def observe(prometheus, policy: Policy, now: datetime) -> dict[str, float | list[float] | None]:
    """Each metric of ``policy`` at ``now``: one number, the per-replica values, or None when it has no answer."""
    observed: dict[str, float | list[float] | None] = {}
    for metric in policy.spec.metrics:
        try:
            observed[metric.name] = measure(prometheus, metric, policy.target, now)
        except (BackendError, PolicyError) as e:
            log.warning("scaling %s: metric %s unread: %s", policy.target, metric.name, e)
            observed[metric.name] = None
    return observed


def measure(prometheus, metric: MetricSpec, target: str, now: datetime) -> float | list[float] | None:
    """One metric of ``target`` at ``now``; raises ``BackendError`` (Prometheus) or ``PolicyError`` (its query)."""
    samples = prometheus.query(metric.promql(target), now)
    # NaN is Prometheus' answer for "no traffic to divide by": no sample, not a number to scale on
    values = [s.value for s in samples if not math.isnan(s.value)]
    if metric.per_replica:
        return values
    return values[0] if values else None


def history(db: Session, target: str, now: datetime) -> History:
    """What the engine remembers of ``target``: stored recommendations and applied scales of the last hour."""
    since = now - timedelta(seconds=HISTORY_SECONDS)
    recommendations = db.scalars(select(RecommendationRecord).where(
        RecommendationRecord.target == target, RecommendationRecord.at > since).order_by(RecommendationRecord.at))
    scales = list(db.scalars(select(ScaleRecord).where(
        ScaleRecord.target == target, ScaleRecord.at > since, ScaleRecord.result == "applied")))
    return History(
        recommendations=tuple(Recommendation(r.at, r.replicas) for r in recommendations),
        scale_ups=tuple(ScaleEvent(s.at, s.to_replicas - s.from_replicas) for s in scales
                        if s.to_replicas > s.from_replicas),
        scale_downs=tuple(ScaleEvent(s.at, s.from_replicas - s.to_replicas) for s in scales
                          if s.to_replicas < s.from_replicas))


class Loop:
    """The scaling loop of one console; ``tick(now)`` is one pass, ``start()`` runs it every ``period`` seconds."""

    def __init__(self, app: Flask, *, period: float = DEFAULT_PERIOD, holder: str | None = None):
        self.app = app
        self.period = period
        self.ttl = timedelta(seconds=1.5 * period)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._scheduler: BackgroundScheduler | None = None
        self._forecasters: dict[str, tuple[tuple[float, str], Forecaster]] = {}
        self._leading = False
        self._ticking = threading.Lock()
        self._decided_for: datetime | None = None  # the last tick time this console decided for as leader

    def elector(self):
        """The lease module and its handle: the executor's namespace when it is Kubernetes, else the database."""
        from console.scaling import EXTENSION
        from console.scaling.executors.kubernetes import KubernetesExecutor

        executor = self.app.extensions.get(EXTENSION)
        if isinstance(executor, KubernetesExecutor):
            return kubelease, kubelease.Leases(executor.api_client, executor.namespace)
        return lease, store.get_engine(self.app)

    def campaign(self, now: datetime) -> bool:
        """Take or renew the lease at ``now``; whether this console leads."""
        module, handle = self.elector()
        try:
            return module.acquire(handle, self.holder, now, self.ttl)
        except OpsError as e:
            # the apiserver out of reach: no one can be sure to lead, so this console does not act
            log.warning("scaling lease unavailable: %s", e)
            return False

    def tick(self, now: datetime, *, lease_at: datetime | None = None) -> list[ScaleRecord]:
        """One pass at ``now`` if this console leads (the lease taken at ``lease_at``, by default ``now``): the
        decisions that changed a replica count, as recorded."""
        if not self.campaign(lease_at or now):
            self._decided_for = None  # a follower has nothing to catch up on should it lead later
            return []
        self._decided_for = now
        with self.app.app_context():
            from console.scaling import executor

            db = store.new_session()
            try:
                acted = []
                for record in db.scalars(select(PolicyRecord).order_by(PolicyRecord.name)).all():
                    try:
                        acted += self._scale(db, executor(), Policy.model_validate(record.document), now)
                    except Exception:
                        # one target failing (its executor, its database rows) must not stop the others
                        db.rollback()
                        log.exception("scaling %s: tick failed", record.target)
                return acted
            finally:
                db.close()

    def _scale(self, db: Session, executor, policy: Policy, now: datetime) -> Sequence[ScaleRecord]:
        target = policy.target
        override = db.get(ScaleOverride, target)
        if override is not None and override.is_active(now):
            return []
        current, ready = executor.replicas(target)
        backends = get_backends()
        decision = decide(policy, now, observe(backends["prometheus"], policy, now), current, ready,
                          history(db, target, now), self._firing(backends["alertmanager"], policy),
                          self._forecast(backends["prometheus"], policy, now))
        if decision.recommendation is not None:
            db.add(RecommendationRecord(target=target, at=now, replicas=decision.recommendation))
            db.execute(delete(RecommendationRecord).where(
                RecommendationRecord.target == target,
                RecommendationRecord.at <= now - timedelta(seconds=HISTORY_SECONDS)))
            db.commit()
        if not decision.rescale:
            return []
        actor = f"loop:{self.holder}"
        try:
            executor.scale(target, decision.desired)
        except (OpsError, LookupError) as e:
            log.warning("scaling %s to %d failed: %s", target, decision.desired, e)
            return [record_decision(db, decision, actor=actor, result="failed", error=str(e))]
        return [record_decision(db, decision, actor=actor, result="applied")]

    def _forecast(self, prometheus, policy: Policy, now: datetime) -> int | None:
        """What a predictive policy's forecast asks for at ``now``, refitted as the backtest refits it: every
        ``REFIT_SECONDS``, on the history before that boundary (and at once when the policy changes)."""
        if policy.spec.predictive is None:
            return None
        boundary = math.floor(now.timestamp() / REFIT_SECONDS) * REFIT_SECONDS
        key = (boundary, policy.model_dump_json())
        cached = self._forecasters.get(policy.name)
        if cached is None or cached[0] != key:
            try:
                points = recorded.forecast_history(prometheus, policy, boundary, boundary)
            except BackendError as e:
                log.warning("scaling %s: forecast history unread: %s", policy.target, e)
                return None
            cached = self._forecasters[policy.name] = (key, Forecaster(policy, points))
        return cached[1].replicas_at(now.timestamp())

    @staticmethod
    def _firing(alertmanager, policy: Policy) -> set[str]:
        if not policy.spec.on_alert:
            return set()
        try:
            return {a.name for a in alertmanager.alerts()}
        except BackendError as e:
            log.warning("scaling %s: alerts unread: %s", policy.target, e)
            return set()

    def on_grid(self, at: datetime) -> datetime:
        """The tick time a tick running at ``at`` decides for: the last multiple of the period ``TICK_DELAY``
        before it. Decisions on that grid, from samples already in Prometheus, are what a backtest stepping
        by the period from a grid time replays exactly."""
        seconds = math.floor((at.timestamp() - TICK_DELAY) / self.period) * self.period
        return datetime.fromtimestamp(seconds, UTC)

    def start(self) -> None:
        """Run in the background: the lease twice a period, a tick every period, ``TICK_DELAY`` after each
        multiple of the period."""
        scheduler = BackgroundScheduler(timezone="UTC")
        scheduler.add_job(self._campaign_job, "interval", seconds=self.period / 2,
                          id="scaling-lease", max_instances=1, coalesce=True)
        first = self.on_grid(utcnow()) + timedelta(seconds=self.period + TICK_DELAY)
        # a tick late by less than a period still decides for its own grid time, so it is run, not skipped
        scheduler.add_job(self._tick_job, "interval", seconds=self.period, start_date=first, id="scaling-tick",
                          max_instances=1, coalesce=True, misfire_grace_time=max(1, int(self.period)))
        scheduler.start()
        self._scheduler = scheduler

    def _tick_job(self) -> None:
        # one tick at a time: the periodic one and a takeover's (below) may otherwise meet
        if not self._ticking.acquire(blocking=False):
            return
        try:
            running = utcnow()
            for at in self.due(self.on_grid(running)):
                self.tick(at, lease_at=running)
        finally:
            self._ticking.release()

    def due(self, latest: datetime) -> list[datetime]:
        """The grid times to decide for when the latest is ``latest``: the slots a busy machine made this leader
        miss since its last decision (at most ``CATCH_UP``), then ``latest``; none already decided (a takeover's
        tick may fall in the slot the periodic one decided)."""
        if self._decided_for is None:
            return [latest]
        slots, at = [], self._decided_for + timedelta(seconds=self.period)
        while at <= latest:
            slots.append(at)
            at += timedelta(seconds=self.period)
        return slots[-CATCH_UP:]

    def _campaign_job(self) -> None:
        leading, self._leading = self._leading, self.campaign(utcnow())
        if self._leading and not leading and self._scheduler is not None:
            # a console that just took the lease ticks now rather than up to a period later, so a dead
            # leader's targets wait at most two periods; the periodic ticks keep to their grid
            self._tick_job()

    def stop(self) -> None:
        """Stop ticking and hand the lease over at once."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
        module, handle = self.elector()
        try:
            module.release(handle, self.holder, utcnow())
        except OpsError as e:
            log.warning("scaling lease not handed over: %s", e)
