"""Users of the console pages, and the first admin created at first run."""
from __future__ import annotations

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
from console.errors import UsageProblem
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
