"""Helpers for auth tests: the cast's roles and passwords, and logging in through the form."""
from __future__ import annotations

import re

CAST = {"alice": "admin", "bob": "operator", "charlie": "viewer"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def password_of(name: str) -> str:
    """The test password of a member of the cast."""
    return f"{name}-pass-1234"


def csrf_token(client) -> str:
    """A CSRF token for ``client``'s session, read from the login form as a browser would."""
    return CSRF.search(client.get("/login").get_data(as_text=True))[1]


def log_in(client, name: str, password: str | None = None, **extra):
    """POST the login form as ``name`` (with a valid CSRF token); returns the response."""
    form = {"name": name, "password": password_of(name) if password is None else password,
            "csrf_token": csrf_token(client), **extra}
    return client.post("/login", data=form)
