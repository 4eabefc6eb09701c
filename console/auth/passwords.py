"""Password hashing with argon2id (argon2-cffi's defaults, which follow RFC 9106)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from console.errors import UsageProblem

MIN_LENGTH = 8

_hasher = PasswordHasher()
# verified against when the user does not exist, so that a wrong name costs as long as a wrong password
_DUMMY_HASH = _hasher.hash("not a password of anybody")


def checked_password(password: str) -> str:
    """``password`` if it is long enough, else a ``UsageProblem``."""
    if len(password) < MIN_LENGTH:
        raise UsageProblem(f"a password needs at least {MIN_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted; the clear text is never stored)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; None (no such user) never matches but takes as long."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's and should be redone at login."""
    return _hasher.check_needs_rehash(password_hash)
