"""Who may do what: users, roles, API tokens, sessions, CSRF and the audit log.

Pages need a logged-in user (``login_required`` / ``role_required``); the JSON API
authenticates with ``authenticate(request)`` (a bearer token, or the session). Every form
and every htmx request carries a CSRF token.
"""
from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from console.auth.audit import FAILED, OK, audit_entry, list_audit, record_audit
from console.auth.principal import ROLES, Principal, role_allows
from console.auth.tokens import create_token, list_tokens, revoke_token
from console.auth.users import create_user, ensure_first_admin, list_users
from console.auth.views import (
    authenticate,
    current_principal,
    login_required,
    role_required,
)

__all__ = ["FAILED", "OK", "ROLES", "Principal", "audit_entry", "authenticate", "create_token", "create_user", "csrf",
           "current_principal", "ensure_first_admin", "init_app", "list_audit", "list_tokens", "list_users",
           "login_required", "record_audit", "revoke_token", "role_allows", "role_required"]

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """Session cookie hardening, CSRF on every form, the login guard and the login/logout pages."""
    from console.auth import views

    # HttpOnly: scripts never read the session; Lax: other sites cannot post with it.
    # Secure comes from SESSION_COOKIE_SECURE (on when the console is served over https).
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    csrf.init_app(app)
    app.before_request(views.guard)
    app.context_processor(lambda: {"principal": current_principal()})
    app.register_blueprint(views.bp)
