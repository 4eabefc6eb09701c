"""Login and logout pages, and the guard that keeps every other page behind a login."""
from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from console import store
from console.auth.audit import FAILED, OK, record_audit
from console.auth.principal import Principal, role_allows
from console.auth.throttle import LOGIN, login_retry_after, login_target
from console.auth.tokens import principal_for_token
from console.auth.users import check_credentials, session_stamp
from console.store import User, utcnow

bp = Blueprint("auth", __name__)

# reachable without logging in: probes, scrapes, assets and the login page itself
# an ack link is its own credential: signed, expiring and single-use (console.alerts.ack)
OPEN_ENDPOINTS = frozenset({"static", "health.healthz", "health.readyz", "metrics", "auth.login",
                            "incidents.ack_link", "incidents.take_ack_link"})
# blueprints that answer for themselves (the JSON API gives 401/403 in its own envelope)
SELF_GUARDED_BLUEPRINTS = frozenset({"api"})

View = TypeVar("View", bound=Callable)


def authenticate(req) -> Principal | None:
    """The principal of ``req``: its bearer token if it sends one, else its logged-in user; None if neither."""
    header = req.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer":
        # a request that sends a token is judged by it alone, never by a cookie beside it
        return principal_for_token(store.session(), credentials.strip())
    user_id = session.get("user_id")
    if user_id is None:
        return None
    user = store.session().get(User, user_id)
    if user is None or user.disabled or not hmac.compare_digest(session.get("stamp", ""), login_stamp(user)):
        return None
    return Principal(name=user.name, role=user.role, via="session", user_id=user.id)


def login_stamp(user: User) -> str:
    """The stamp of ``user``'s credentials a login session carries (``users.session_stamp``)."""
    return session_stamp(user, current_app.secret_key)


def current_principal() -> Principal | None:
    """The principal of the current request, authenticated once and kept on ``g``."""
    if "principal" not in g:
        g.principal = authenticate(request)
    return g.principal


def role_required(role: str) -> Callable[[View], View]:
    """Page decorator: log in first (redirect), then hold at least ``role`` (else 403)."""
    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args, **kwargs):
            principal = current_principal()
            if principal is None:
                return _to_login()
            if not role_allows(principal.role, role):
                abort(403, f"this page needs the {role} role")
            return view(*args, **kwargs)
        return guarded  # type: ignore[return-value]
    return decorate


login_required = role_required("viewer")


def guard() -> object | None:
    """Before every request: pages other than the open ones need a logged-in user."""
    if request.endpoint is None or request.endpoint in OPEN_ENDPOINTS or SELF_GUARDED_BLUEPRINTS.intersection(request.blueprints):
        return None
    return None if current_principal() is not None else _to_login()


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; on success the session is renewed and the user sent on to ``next``."""
    if request.method == "GET":
        return render_template("auth/login.html", next=_safe_next(request.args.get("next")))
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    next_url = _safe_next(request.form.get("next"))
    source = request.remote_addr
    db = store.session()
    wait = login_retry_after(db, name=name, source=source, now=utcnow())
    if wait is not None:
        record_audit(principal=None, action=LOGIN, target=login_target(name), result="throttled", source=source)
        response = make_response(render_template(
            "auth/login.html", next=next_url, name=name,
            error=f"Too many failed attempts. Try again in {wait} s."), 429)
        response.headers["Retry-After"] = str(wait)
        return response
    user = check_credentials(db, name, password)
    if user is None:
        record_audit(principal=None, action=LOGIN, target=login_target(name), result=FAILED, source=source)
        return render_template("auth/login.html", next=next_url, name=name,
                               error="Wrong name or password."), 401
    # a fresh session on login, so an id planted before it (session fixation) is worthless
    session.clear()
    session["user_id"] = user.id
    session["stamp"] = login_stamp(user)
    principal = Principal(name=user.name, role=user.role, via="session", user_id=user.id)
    record_audit(principal=principal, action=LOGIN, target=login_target(name), result=OK, source=source)
    return redirect(next_url)


@bp.post("/logout")
def logout():
    """End the session and go back to the login page."""
    principal = current_principal()
    session.clear()
    if principal is not None:
        record_audit(principal=principal, action="logout", target=login_target(principal.name), result=OK,
                     source=request.remote_addr)
    return redirect(url_for("auth.login"))


def _to_login():
    target = url_for("auth.login", next=request.full_path.rstrip("?"))
    if request.headers.get("HX-Request") == "true":
        # htmx would swap the login page into a fragment; make it load the whole page instead
        response = make_response("", 401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def _safe_next(value: str | None) -> str:
    # only paths on this site: an absolute or scheme-relative URL would be an open redirect
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return url_for("pages.home")
