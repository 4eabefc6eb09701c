"""Who is asking: roles in order of power, and the principal a request acts as."""
from __future__ import annotations

from dataclasses import dataclass

from console.errors import UsageProblem

ROLES = ("viewer", "operator", "admin")


def role_allows(have: str, need: str) -> bool:
    """Whether role ``have`` may do what needs ``need`` (viewer < operator < admin); unknown roles allow nothing."""
    if have not in ROLES or need not in ROLES:
        return False
    return ROLES.index(have) >= ROLES.index(need)


def checked_role(role: str) -> str:
    """``role`` if it is one of ``ROLES``, else a ``UsageProblem``."""
    if role not in ROLES:
        raise UsageProblem(f"unknown role {role!r} (known: {', '.join(ROLES)})")
    return role


@dataclass(frozen=True)
class Principal:
    """The identity a request acts as: a logged-in user (``via="session"``), an API token, or the CLI."""

    name: str
    role: str
    via: str
    user_id: int | None = None
    token_id: int | None = None

    @property
    def actor(self) -> str:
        """How the audit log names this principal: the user's name, or ``token:<name>`` / ``cli:<name>``."""
        return self.name if self.via == "session" else f"{self.via}:{self.name}"
