"""Users of the console pages, and the first admin created at first run."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.auth.passwords import (
    checked_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from console.auth.principal import checked_role
from console.errors import Conflict, UsageProblem
from console.store import User, save

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
FIRST_ADMIN_NAME = "admin"


def create_user(db: Session, *, name: str, password: str, role: str) -> User:
    """A new user with an argon2 hash of ``password``; a taken name is a ``Conflict``."""
    if not NAME.fullmatch(name):
        raise UsageProblem(f"bad user name {name!r}: up to 64 letters, digits, '.', '_', '@' or '-'")
    user = User(name=name, password_hash=hash_password(checked_password(password)), role=checked_role(role))
    save(db, user, what=f"user {name}")
    return user


def list_users(db: Session) -> list[User]:
    """Every user, by name."""
    return list(db.scalars(select(User).order_by(User.name)))


def check_credentials(db: Session, name: str, password: str) -> User | None:
    """The enabled user with this name and password, or None; upgrades an outdated hash on success."""
    user = db.scalar(select(User).where(User.name == name))
    matches = verify_password(user.password_hash if user else None, password)
    if user is None or not matches or user.disabled:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.commit()
    return user


def first_admin_name(environ: Mapping[str, str]) -> str:
    """The name the first admin gets: ``OPSCONSOLE_ADMIN_USER`` or ``admin``."""
    return environ.get("OPSCONSOLE_ADMIN_USER") or FIRST_ADMIN_NAME


def ensure_first_admin(db: Session, *, environ: Mapping[str, str]) -> str | None:
    """Create the first admin when there are no users; return its password if we generated it, else None.

    The name comes from ``OPSCONSOLE_ADMIN_USER`` (default ``admin``), the password from
    ``OPSCONSOLE_ADMIN_PASSWORD``; without one a random password is made, for the caller to
    show once on the terminal.
    """
    if db.scalar(select(func.count()).select_from(User)):
        return None
    given = environ.get("OPSCONSOLE_ADMIN_PASSWORD")
    password = given or secrets.token_urlsafe(15)
    create_user(db, name=first_admin_name(environ), password=password, role="admin")
    return None if given else password


def find_user(db: Session, name: str) -> User | None:
    """The user called ``name``, or None."""
    return db.scalar(select(User).where(User.name == name))


def update_user(db: Session, user: User, *, role: str | None = None, disabled: bool | None = None,
                password: str | None = None) -> User:
    """Change ``user``'s role, whether they may log in, or their password (every argument left None stays).

    A change that would leave no enabled admin is a ``Conflict``: nobody could manage the users any more.
    A new password ends the user's sessions opened before it (see ``session_stamp``); disabling them ends all
    of their sessions at their next request.
    """
    if role is not None:
        role = checked_role(role)
    if password is not None:
        checked_password(password)
    keeps_admin = (role or user.role) == "admin" and not (user.disabled if disabled is None else disabled)
    if user.role == "admin" and not user.disabled and not keeps_admin and _enabled_admins(db) == 1:
        raise Conflict(f"user {user.name}", "the last enabled admin: make another user admin first")
    if role is not None:
        user.role = role
    if disabled is not None:
        user.disabled = disabled
    if password is not None:
        user.password_hash = hash_password(password)
    db.commit()
    return user


def change_own_password(db: Session, user: User, *, current: str, new: str) -> bool:
    """Set ``user``'s password to ``new`` if ``current`` is theirs; False (and nothing changed) if it is not."""
    if not verify_password(user.password_hash, current):
        return False
    update_user(db, user, password=new)
    return True


def _enabled_admins(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.disabled.is_(False)))


def session_stamp(user: User, secret_key: str | bytes) -> str:
    """What a login session keeps of the user's credentials: it stops matching when the password changes, so
    a session opened with the old one (a stolen cookie included) no longer authenticates."""
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(key, f"{user.id}:{user.password_hash}".encode(), hashlib.sha256).hexdigest()[:32]
