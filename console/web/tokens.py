"""The API tokens page, for admins: every token with its role and state, minting one (its secret shown on the answer
to that request only) and revoking one.

The same rules and audit actions as ``/api/v1/tokens`` (``tokens.create``, ``tokens.revoke``).
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for

from console import auth, store
from console.auth.tokens import token_state
from console.errors import UsageProblem
from console.store import ApiToken, utcnow
from console.web.pages import audit_change

bp = Blueprint("tokens", __name__)

# lifetimes offered by the form, in days; none: the token lives until it is revoked
LIFETIMES = {"30 days": 30, "90 days": 90, "1 year": 365, "never": None}


@bp.get("/tokens")
@auth.role_required("admin")
def index():
    """Every token, newest first, and the form that mints one."""
    return _page()


@bp.post("/tokens")
@auth.role_required("admin")
def create():
    """Mint a token from the form; the answer shows its secret once (never kept in a cookie or a redirect)."""
    form = {k: request.form.get(k, "") for k in ("name", "role", "lifetime")}
    if form["lifetime"] not in LIFETIMES:
        return _page(form=form, problem="choose a lifetime", status=422)
    days = LIFETIMES[form["lifetime"]]
    try:
        clear, token = auth.create_token(store.session(), role=form["role"], name=form["name"],
                                         expires_in=timedelta(days=days) if days else None)
    except UsageProblem as e:
        audit_change("tokens.create", "token", "failed", {"name": form["name"][:128], "error": str(e)})
        return _page(form=form, problem=str(e), status=422)
    audit_change("tokens.create", f"token:{token.id}", "ok",
                 {"name": token.name, "role": token.role, "prefix": token.prefix})
    return _page(minted=(token, clear), status=201)


@bp.post("/tokens/<int:token_id>/revoke")
@auth.role_required("admin")
def revoke(token_id: int):
    """Revoke a token at once."""
    token = store.session().get(ApiToken, token_id)
    if token is None or not auth.revoke_token(store.session(), token_id):
        audit_change("tokens.revoke", f"token:{token_id}", "failed", {"error": "no such live token"})
        return _page(problem=f"no live token {token_id}", status=404)
    audit_change("tokens.revoke", f"token:{token_id}", "ok", {"name": token.name})
    flash(f"Revoked token {token.name} ({token.prefix}): it is refused from now on.")
    return redirect(url_for("tokens.index"))


def _page(*, form: dict | None = None, problem: str = "", status: int = 200, minted=None):
    tokens = sorted(auth.list_tokens(store.session()), key=lambda t: t.id, reverse=True)
    return render_template("users/tokens.html", tokens=tokens, roles=auth.ROLES, lifetimes=LIFETIMES,
                           form=form or {"role": "viewer", "lifetime": "90 days"}, problem=problem, minted=minted,
                           state=token_state, now=utcnow()), status
