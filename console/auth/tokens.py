"""API tokens: ``osc_<prefix>_<secret>``, shown once, stored as a clear prefix and a hashed secret.

The secret is 32 random bytes, so a fast hash (SHA-256) is enough: a slow password hash only
helps against guessing low-entropy secrets, and 2^256 cannot be guessed. It also keeps the
hash independent of the app's secret key, so tokens made by ``opsconsole token create`` in
one process work in every server process and survive a restart.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.auth.principal import Principal, checked_role
from console.errors import UsageProblem
from console.store import ApiToken, User, save, utcnow

SCHEME = "osc"
# last_used_at is written at most this often per token, so busy clients do not write on every call
LAST_USED_RESOLUTION = timedelta(seconds=60)


def create_token(db: Session, *, role: str, name: str, expires_in: timedelta | None = None,
                 user_id: int | None = None) -> tuple[str, ApiToken]:
    """A new token: its clear text (to show once, never stored) and its stored row."""
    checked_role(role)
    name = name.strip()
    if not name or len(name) > 128:
        raise UsageProblem("a token name needs 1 to 128 characters")
    if expires_in is not None and expires_in <= timedelta(0):
        raise UsageProblem("a token must expire in the future")
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(prefix=prefix, secret_hash=_secret_hash(secret), name=name, role=role, user_id=user_id,
                     created_at=now, expires_at=now + expires_in if expires_in else None)
    save(db, token, what=f"token prefix {prefix}")
    return f"{SCHEME}_{prefix}_{secret}", token


def revoke_token(db: Session, token_id: int) -> bool:
    """Revoke a token; False if there is no such token or it was already revoked."""
    token = db.get(ApiToken, token_id)
    if token is None or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    db.commit()
    return True


def list_tokens(db: Session) -> list[ApiToken]:
    """Every token, revoked and expired ones included, oldest first."""
    return list(db.scalars(select(ApiToken).order_by(ApiToken.id)))


def token_state(token: ApiToken, now: datetime) -> str:
    """``revoked``, ``expired`` or ``active`` at ``now``."""
    if token.revoked_at is not None:
        return "revoked"
    return "active" if token.is_usable(now) else "expired"


def principal_for_token(db: Session, token: str, *, now: datetime | None = None) -> Principal | None:
    """The principal of a presented token, or None if it is malformed, unknown, wrong, expired or revoked."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != SCHEME:
        return None
    _, prefix, secret = parts
    stored = db.scalar(select(ApiToken).where(ApiToken.prefix == prefix))
    if stored is None or not hmac.compare_digest(stored.secret_hash, _secret_hash(secret)):
        return None
    now = now or utcnow()
    if not stored.is_usable(now):
        return None
    # a token minted for a user is theirs: it stops working when they are disabled
    if stored.user_id is not None and (owner := db.get(User, stored.user_id)) is not None and owner.disabled:
        return None
    if stored.last_used_at is None or now - stored.last_used_at >= LAST_USED_RESOLUTION:
        stored.last_used_at = now
        db.commit()
    return Principal(name=stored.name, role=stored.role, via="token", user_id=stored.user_id, token_id=stored.id)


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
