"""The users page (admins add people, change their role, disable them, set a new password) and each user's own
account page (their password).

Every change is checked by the same rules as ``/api/v1/users`` (``console.auth.users``) and audited under
the same actions; a refused one comes back on the page with the reason, never as an error page.
"""
from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for

from console import auth, store
from console.auth.throttle import PASSWORD_CHANGE, password_change_retry_after
from console.auth.users import change_own_password, create_user, find_user, update_user
from console.auth.views import login_stamp
from console.errors import Conflict, UsageProblem
from console.store import User, utcnow
from console.web.pages import audit_change

bp = Blueprint("users", __name__)


@bp.get("/users")
@auth.role_required("admin")
def index():
    """Every user with their role and state, and the forms that change them."""
    return _page()


@bp.post("/users")
@auth.role_required("admin")
def create():
    """Add a user from the form; the form comes back with what was wrong."""
    form = {k: request.form.get(k, "") for k in ("name", "role", "password")}
    name = form["name"].strip()
    try:
        create_user(store.session(), name=name, password=form["password"], role=form["role"])
    except (UsageProblem, Conflict) as e:
        audit_change("users.create", f"user:{name[:64]}", "failed", {"role": form["role"], "error": str(e)})
        return _page(form=form, problem=str(e), status=409 if isinstance(e, Conflict) else 422)
    audit_change("users.create", f"user:{name[:64]}", "ok", {"role": form["role"]})
    flash(f"Added {name} ({form['role']}).")
    return redirect(url_for("users.index"))


@bp.post("/users/<name>")
@auth.role_required("admin")
def update(name: str):
    """Apply one change from a user's row: ``role``, ``disabled`` (1 or 0) or ``password``."""
    user = find_user(store.session(), name)
    if user is None:
        return _page(problem=f"no user {name[:64]!r}", status=404)
    changes, detail, done = _change_from(request.form)
    if not changes:
        return _page(problem="nothing to change", status=422, editing=name)
    try:
        update_user(store.session(), user, **changes)
    except (UsageProblem, Conflict) as e:
        audit_change("users.update", f"user:{name}", "failed", {**detail, "error": str(e)})
        return _page(problem=str(e), status=409 if isinstance(e, Conflict) else 422, editing=name)
    audit_change("users.update", f"user:{name}", "ok", detail)
    if user.id == auth.current_principal().user_id and "password" in changes:
        session["stamp"] = login_stamp(user)  # the admin's own new password keeps this session
    flash(f"{name}: {done}.")
    return redirect(url_for("users.index"))


@bp.get("/account")
@auth.login_required
def account():
    """Who you are, and the form that changes your password."""
    return _account_page()


@bp.post("/account/password")
@auth.login_required
def change_password():
    """Change your password once the current one is proven; your other sessions end, this one stays."""
    principal = auth.current_principal()
    user = store.session().get(User, principal.user_id) if principal.via == "session" else None
    if user is None:
        return _account_page(problem="a token has no password", status=403)
    wait = password_change_retry_after(store.session(), name=user.name, source=request.remote_addr, now=utcnow())
    if wait is not None:
        audit_change(PASSWORD_CHANGE, f"user:{user.name}", "throttled", {})
        response = make_response(_account_page(problem=f"Too many wrong passwords. Try again in {wait} s.",
                                                status=429))
        response.headers["Retry-After"] = str(wait)
        return response
    new, again = request.form.get("new_password", ""), request.form.get("new_password_again", "")
    if new != again:
        return _account_page(problem="the two new passwords differ", status=422)
    try:
        changed = change_own_password(store.session(), user, current=request.form.get("current_password", ""),
                                      new=new)
    except UsageProblem as e:
        return _account_page(problem=str(e), status=422)
    if not changed:
        audit_change(PASSWORD_CHANGE, f"user:{user.name}", "failed", {"error": "wrong current password"})
        return _account_page(problem="the current password is wrong", status=403)
    audit_change(PASSWORD_CHANGE, f"user:{user.name}", "ok", {})
    session["stamp"] = login_stamp(user)
    flash("Password changed; your other sessions have ended.")
    return redirect(url_for("users.account"))


def _change_from(form) -> tuple[dict, dict, str]:
    """The change a row's form asks for: the arguments of ``update_user``, its audit detail, and what it did."""
    if "role" in form:
        return {"role": form["role"]}, {"role": form["role"]}, f"now {form['role']}"
    if form.get("disabled") in ("0", "1"):
        disabled = form["disabled"] == "1"
        return {"disabled": disabled}, {"disabled": disabled}, "disabled" if disabled else "enabled"
    if form.get("password"):
        return {"password": form["password"]}, {"password": "set"}, "a new password"
    return {}, {}, ""


def _page(*, form: dict | None = None, problem: str = "", status: int = 200, editing: str = ""):
    return render_template("users/index.html", users=auth.list_users(store.session()), roles=auth.ROLES,
                           form=form or {"role": "viewer"}, problem=problem, editing=editing,
                           me=auth.current_principal()), status


def _account_page(*, problem: str = "", status: int = 200):
    return render_template("users/account.html", problem=problem), status
