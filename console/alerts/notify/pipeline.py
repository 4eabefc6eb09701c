"""The notification pipeline: plan deliveries with the incident's change, then send them after the commit.

``plan`` runs inside the webhook's transaction and adds one pending ``Delivery`` per channel for
the incident's current content; the unique (incident, channel, content) key is the dedup stage,
so a repeat plans nothing. ``Notifier`` sends the committed ones on worker threads (the webhook
answers at once), each through ``retry``, and writes every attempt on the incident's timeline.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from flask import Flask
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from console.alerts.evidence import Evidence
from console.alerts.models import Delivery, Incident, IncidentEvent
from console.alerts.notify.retry import Backoff, send_with_retry
from console.errors import NotifyError
from console.store import new_session, utcnow

__all__ = ["Attachment", "Channel", "Message", "Notifier", "compose", "plan"]

log = logging.getLogger(__name__)
ACTOR = "notifier"
# a delivery "sending" for longer than this was left by a process that died: it may be taken again
STALE = timedelta(minutes=10)
CHART_FILE = "alert-chart.png"


@dataclass(frozen=True)
class Attachment:
    """A file sent along where the channel can (email): the chart of the alert's expression."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Message:
    """What a channel sends: a subject line, a plain-text body, the incident as data for machines, attachments."""

    subject: str
    text: str
    incident: dict = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()


class Channel(Protocol):
    """An on-call channel: a name, a target fit to show, and ``send`` raising ``NotifyError``."""

    name: str

    @property
    def target(self) -> str: ...

    def send(self, message: Message) -> None: ...


def compose(incident: Incident, *, link: str = "", ack: str = "", evidence: Evidence | None = None,
            trace_link: Callable[[str], str] = lambda trace_id: "") -> Message:
    """The message about ``incident`` as it stands: status, summary, each alert, and a link when known."""
    firing = [a for a in incident.alerts if a.status == "firing"]
    state = "RESOLVED" if not firing else f"FIRING:{len(firing)}"
    where = " ".join(part for part in (incident.severity, incident.service) if part)
    subject = f"[{state}] {incident.summary}" + (f" ({where})" if where else "")
    lines = [f"Incident #{incident.id}: {incident.summary}", f"Status: {incident.status}"]
    for alert in incident.alerts:
        name = alert.labels.get("alertname", alert.fingerprint)
        detail = alert.annotations.get("description") or alert.annotations.get("summary", "")
        lines.append(f"- {alert.status} {name} since {alert.starts_at:%Y-%m-%d %H:%M:%S} UTC: {detail}".rstrip(": "))
        if alert.runbook_url:
            lines.append(f"  Runbook: {alert.runbook_url}")
    attachments: tuple[Attachment, ...] = ()
    if evidence is not None:
        lines += _evidence_lines(evidence, trace_link)
        if evidence.chart_png:
            attachments = (Attachment(CHART_FILE, "image/png", evidence.chart_png),)
    if link:
        lines.append(f"Incident: {link}")
        lines.append(f"Silence: {link}#silence-form")
    if ack:
        lines.append(f"Acknowledge (once, no login needed): {ack}")
    data = {"id": incident.id, "status": incident.status, "severity": incident.severity, "service": incident.service,
            "summary": incident.summary, "link": link or None, "ack_link": ack or None,
            "alerts": [{"fingerprint": a.fingerprint, "status": a.status, "labels": a.labels,
                        "annotations": a.annotations, "starts_at": a.starts_at.isoformat()} for a in incident.alerts]}
    if evidence is not None:
        data["evidence"] = {"failing_traces": [t.trace_id for t in evidence.failing],
                            "top_errors": [{"message": e.message, "count": e.count} for e in evidence.errors],
                            "missing": evidence.missing}
    return Message(subject=subject, text="\n".join(lines) + "\n", incident=data, attachments=attachments)


def _evidence_lines(evidence: Evidence, trace_link: Callable[[str], str]) -> list[str]:
    lines = []
    if evidence.chart_png:
        lines.append(f"Chart of {evidence.expression} over the last hour: attached ({CHART_FILE})")
    if evidence.failing:
        lines.append("Failing traces:")
        lines += [f"- {t.operation} ({t.duration_ms:.0f} ms) {trace_link(t.trace_id) or t.trace_id}"
                  for t in evidence.failing]
    if evidence.errors:
        lines.append("Top errors:")
        lines += [f"- {e.count} x {e.message}" for e in evidence.errors]
    if evidence.missing:
        lines.append("Not found: " + "; ".join(evidence.missing))
    return lines


def plan(db: Session, incident: Incident, channels: Iterable[Channel], now: datetime) -> list[Delivery]:
    """Pending deliveries of the incident's current content to each channel not yet planned for it."""
    planned = set(db.scalars(select(Delivery.channel).where(
        Delivery.incident_id == incident.id, Delivery.content_hash == incident.content_hash)))
    fresh = [Delivery(incident_id=incident.id, channel=c.name, target=c.target[:255], status="pending",
                      content_hash=incident.content_hash, attempts=0, created_at=now, updated_at=now)
             for c in channels if c.name not in planned]
    db.add_all(fresh)
    return fresh


class SharedEvidence:
    """``fetch(incident)`` once per incident content, shared by the messages its channels send side by side
    (the email's and the chat post's), for ``fresh_s`` seconds: an escalation minutes later fetches anew."""

    def __init__(self, fetch: Callable[[Incident], Evidence | None], *, fresh_s: float = 60.0, keep: int = 64):
        self.fetch = fetch
        self.fresh_s = fresh_s
        self.keep = keep
        self._lock = threading.Lock()
        self._fetched: OrderedDict[tuple[int, str], tuple[float, Future]] = OrderedDict()

    def __call__(self, incident: Incident) -> Evidence | None:
        key, now = (incident.id, incident.content_hash), time.monotonic()
        with self._lock:
            at, future = self._fetched.get(key, (0.0, None))
            mine = future is None or now - at > self.fresh_s
            if mine:
                future = Future()
                self._fetched[key] = (now, future)
                self._fetched.move_to_end(key)
                while len(self._fetched) > self.keep:
                    self._fetched.popitem(last=False)
        if mine:
            try:
                future.set_result(self.fetch(incident))
            except Exception as e:
                with self._lock:  # those waiting hear of it; the next message tries again
                    if self._fetched.get(key, (0.0, None))[1] is future:
                        del self._fetched[key]
                future.set_exception(e)
        return future.result()


class Notifier:
    """Sends planned deliveries on worker threads of ``app``; ``wait_idle`` lets a caller (a test) wait.

    ``on_result(channel, result)`` hears "error" for each failed attempt, then "sent" or "failed" once;
    ``ack_link(db, incident, channel)`` makes each message's acknowledgement link and ``evidence(incident)``
    fetches what it shows (neither by default).
    """

    def __init__(self, app: Flask, channels: Iterable[Channel], backoff: Backoff, *,
                 link: Callable[[int], str] = lambda incident_id: "",
                 ack_link: Callable[[Session, Incident, str], str] = lambda db, incident, channel: "",
                 evidence: Callable[[Incident], Evidence | None] = lambda incident: None,
                 trace_link: Callable[[str], str] = lambda trace_id: "",
                 workers: int = 2, on_result: Callable[[str, str], None] = lambda channel, result: None):
        self.app = app
        self.channels = {c.name: c for c in channels}
        self.backoff = backoff
        self.link = link
        self.ack_link = ack_link
        self.evidence = SharedEvidence(evidence)
        self.trace_link = trace_link
        self.on_result = on_result
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notify")
        self._pending: set[Future] = set()
        self._lock = threading.Lock()

    def submit(self, delivery_ids: Iterable[int]) -> None:
        """Send these committed deliveries in the background."""
        for delivery_id in delivery_ids:
            future = self._pool.submit(self._deliver, delivery_id)
            with self._lock:
                self._pending.add(future)
            future.add_done_callback(self._forget)

    def resume(self) -> int:
        """Send the deliveries a stopped process left unsent (pending, or sending for too long); how many."""
        with self.app.app_context(), new_session() as db:
            ids = list(db.scalars(select(Delivery.id).where(_claimable(utcnow())).order_by(Delivery.id)))
        self.submit(ids)
        return len(ids)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every submitted delivery has ended; False if some still run after ``timeout`` seconds."""
        with self._lock:
            pending = set(self._pending)
        return not wait(pending, timeout=timeout).not_done

    def shutdown(self) -> None:
        """Finish what was submitted and stop the workers."""
        self._pool.shutdown(wait=True)

    def message_for(self, db: Session, incident: Incident, channel: str) -> Message:
        """The message about ``incident`` for ``channel``: its links, evidence and (while open) an ack link of its own."""
        ack = self.ack_link(db, incident, channel) if incident.status == "open" else ""
        db.commit()
        return compose(incident, link=self.link(incident.id), ack=ack, evidence=self.evidence(incident),
                       trace_link=self.trace_link)

    def _forget(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)
        if future.exception() is not None:
            log.error("delivery worker failed", exc_info=future.exception())

    def _deliver(self, delivery_id: int) -> None:
        with self.app.app_context(), new_session() as db:
            # claim it first: another worker process (or a resume) may hold the same id
            claimed = db.execute(update(Delivery).where(Delivery.id == delivery_id, _claimable(utcnow()))
                                 .values(status="sending", updated_at=utcnow())).rowcount
            db.commit()
            if not claimed:
                return
            delivery = db.get(Delivery, delivery_id)
            incident = db.get(Incident, delivery.incident_id)
            channel = self.channels.get(delivery.channel)
            if channel is None:
                # planned by a process configured otherwise: say so rather than leave it pending for ever
                delivery.status, delivery.last_error = "failed", f"channel {delivery.channel} is not configured"
                _record(db, incident, "delivery_failed", delivery.last_error, {"delivery": delivery.id, "final": True})
                self.on_result(delivery.channel, "failed")
                return
            message = self.message_for(db, incident, channel.name)

            def failed(attempt: int, error: NotifyError) -> None:
                delivery.attempts, delivery.last_error, delivery.updated_at = attempt, error.detail[:2000], utcnow()
                _record(db, incident, "delivery_failed", f"{channel.name} to {delivery.target}: {error.detail}",
                        {"delivery": delivery.id, "attempt": attempt, "permanent": error.permanent})
                self.on_result(channel.name, "error")

            try:
                attempts = send_with_retry(lambda: channel.send(message), self.backoff, on_failure=failed)
            except NotifyError:
                delivery.status, delivery.updated_at = "failed", utcnow()
                _record(db, incident, "delivery_failed", f"gave up on {channel.name} to {delivery.target}",
                        {"delivery": delivery.id, "attempts": delivery.attempts, "final": True})
                self.on_result(channel.name, "failed")
                return
            delivery.status, delivery.attempts, delivery.updated_at = "sent", attempts, utcnow()
            _record(db, incident, "notified", f"{channel.name} to {delivery.target}: {message.subject}",
                    {"delivery": delivery.id, "attempts": attempts})
            self.on_result(channel.name, "sent")


def _claimable(now: datetime):
    return or_(Delivery.status == "pending", and_(Delivery.status == "sending", Delivery.updated_at < now - STALE))


def _record(db: Session, incident: Incident, kind: str, text: str, detail: dict) -> None:
    # one commit per attempt: the timeline shows a failure even while the next attempt waits
    db.add(IncidentEvent(incident_id=incident.id, at=utcnow(), kind=kind, actor=ACTOR, text=text, detail=detail))
    db.commit()
