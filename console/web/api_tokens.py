"""``/api/v1/tokens``: API tokens for scripts and integrations. The clear token is shown once, at creation."""
from __future__ import annotations

import datetime

from pydantic import BaseModel, ConfigDict, Field

from console import auth, store
from console.web.apiroutes import ApiError, Role, area_blueprint, audit_target, route

bp = area_blueprint("tokens")

# the largest id a 64-bit primary key holds; beyond it the database driver would overflow
MAX_ID = 2**63 - 1


class TokenCreate(BaseModel):
    """A token to mint: its name, its role and, optionally, its lifetime."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"name": "ci-deploy", "role": "operator", "expires_in_days": 30}]})

    name: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")
    role: Role
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class TokenOut(BaseModel):
    """A stored token as listed: never its secret, only the public lookup prefix."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    prefix: str
    name: str
    role: Role
    user_id: int | None
    created_at: datetime.datetime
    expires_at: datetime.datetime | None
    last_used_at: datetime.datetime | None
    revoked_at: datetime.datetime | None


class TokenCreated(TokenOut):
    """A token just minted, with the clear ``token``: shown this once and never again."""

    token: str


class TokenList(BaseModel):
    """Every token, revoked and expired ones included."""

    items: list[TokenOut]


@route(bp, "GET", "/tokens", role="admin", response=TokenList, summary="List API tokens (without secrets)")
def list_tokens():
    """Every API token, newest last."""
    return TokenList(items=[TokenOut.model_validate(t) for t in auth.list_tokens(store.session())])


@route(bp, "POST", "/tokens", role="admin", body=TokenCreate, response=TokenCreated, status=201,
       summary="Create an API token; the answer holds the clear token, shown once")
def create(body: TokenCreate):
    """Mint a token; its secret is stored hashed and returned only in this answer."""
    expires_in = datetime.timedelta(days=body.expires_in_days) if body.expires_in_days else None
    clear, token = auth.create_token(store.session(), role=body.role, name=body.name, expires_in=expires_in)
    audit_target(f"token:{token.id}", {"name": token.name, "role": token.role, "prefix": token.prefix})
    return TokenCreated(**TokenOut.model_validate(token).model_dump(), token=clear)


@route(bp, "DELETE", "/tokens/<int:token_id>", role="admin", status=204, summary="Revoke an API token")
def revoke(token_id: int):
    """Revoke a token at once; 404 when there is no such token."""
    audit_target(f"token:{token_id}")
    if token_id > MAX_ID or not auth.revoke_token(store.session(), token_id):
        raise ApiError(404, "not_found", f"no token with id {token_id}")
    return None
