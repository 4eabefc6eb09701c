"""Ack links: each notification carries one, so the engineer acknowledges from a phone without logging in.

A link is signed with the console's secret key (so it cannot be made up or altered) and carries its
issue time (so it expires); its random nonce is stored only as a SHA-256 and is spent by one
conditional UPDATE, so a link works once even when two clicks race.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from console.alerts import incidents
from console.alerts.models import AckLink, Incident
from console.errors import Conflict, OpsError

__all__ = ["AckLinkRefused", "Signer", "check", "issue", "take"]

SALT = "opsconsole.ack-link"


class AckLinkRefused(OpsError, PermissionError):
    """A link that does not acknowledge: ``reason`` is unknown, expired or used (with when)."""

    def __init__(self, reason: str, detail: str, incident: Incident | None = None):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.incident = incident


class Signer:
    """Signs and reads ack link tokens with the app's secret key; ``ttl`` seconds of validity."""

    def __init__(self, secret_key: str, ttl: float):
        self._serializer = URLSafeTimedSerializer(secret_key, salt=SALT)
        self.ttl = ttl

    def dumps(self, incident_id: int, nonce: str) -> str:
        """The token of a link."""
        return self._serializer.dumps({"i": incident_id, "n": nonce})

    def loads(self, token: str) -> tuple[int, str]:
        """(incident id, nonce) of a token; ``AckLinkRefused`` when it is not ours or too old."""
        try:
            found = self._serializer.loads(token, max_age=self.ttl)
        except SignatureExpired as e:
            raise AckLinkRefused("expired", "this link has expired: open the incident in the console") from e
        except BadSignature as e:
            raise AckLinkRefused("unknown", "this is not a valid acknowledgement link") from e
        if not isinstance(found, dict) or not isinstance(found.get("i"), int) or not isinstance(found.get("n"), str):
            raise AckLinkRefused("unknown", "this is not a valid acknowledgement link")
        return found["i"], found["n"]


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def issue(db: Session, signer: Signer, incident_id: int, *, channel: str, now: datetime) -> str:
    """A new link's token for ``incident_id``, sent through ``channel``; stored, not committed."""
    nonce = secrets.token_urlsafe(18)
    db.add(AckLink(nonce_hash=_hash(nonce), incident_id=incident_id, channel=channel, created_at=now,
                   expires_at=now + timedelta(seconds=signer.ttl)))
    return signer.dumps(incident_id, nonce)


def check(db: Session, signer: Signer, token: str) -> tuple[AckLink, Incident]:
    """The unspent link of ``token`` and its incident; ``AckLinkRefused`` otherwise."""
    incident_id, nonce = signer.loads(token)
    link = db.scalar(select(AckLink).where(AckLink.nonce_hash == _hash(nonce)))
    if link is None or link.incident_id != incident_id:
        raise AckLinkRefused("unknown", "this is not a valid acknowledgement link")
    incident = incidents.get(db, incident_id)
    if link.used_at is not None:
        raise AckLinkRefused("used", f"this link was already used, at {link.used_at:%Y-%m-%d %H:%M:%S} UTC", incident)
    return link, incident


def take(db: Session, signer: Signer, token: str, *, now: datetime, source: str | None) -> Incident:
    """Spend the link and acknowledge its incident; ``AckLinkRefused``, or ``Conflict`` when not open any more."""
    link, incident = check(db, signer, token)
    if incident.status != "open":
        # nothing to do, and the link stays good for nothing else either: leave it unspent
        raise Conflict(f"incident {incident.id}", f"is already {incident.status}"
                       + (f" by {incident.acknowledged_by}" if incident.acknowledged_by else ""))
    spent = db.execute(update(AckLink).where(AckLink.id == link.id, AckLink.used_at.is_(None))
                       .values(used_at=now, used_from=(source or "")[:64])).rowcount
    if not spent:
        db.rollback()
        raise AckLinkRefused("used", "this link was just used")
    db.commit()
    return incidents.acknowledge(db, link.incident_id, actor=f"ack link ({link.channel})", now=now)
