"""Helpers for the web tests: the cast's password and logging in through the login page."""
from __future__ import annotations

import re

PASSWORD = "a long test password"
# what the test app's Alertmanager sends to the webhook (a shared token, not a user's)
ALERTMANAGER_TOKEN = "alertmanager-test-token"


def page_csrf_token(html: str) -> str:
    """The CSRF token a rendered page carries (the login form's field, or base.html's meta tag)."""
    match = re.search(r'name="csrf[-_]token" (?:value|content)="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def log_in(client, name: str, password: str = PASSWORD) -> str:
    """Log ``client`` in through the login page; returns the session's CSRF token for htmx/API calls."""
    token = page_csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return page_csrf_token(client.get("/api/v1/docs").get_data(as_text=True))
