"""``/api/v1/users``: the people who log in to the console, and their roles."""
from __future__ import annotations

import datetime

from flask import request, session
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from console import auth, store
from console.auth.users import NAME, change_own_password, find_user, update_user
from console.auth.throttle import WRONG_PASSWORD, password_change_retry_after
from console.auth.views import login_stamp
from console.store import User, utcnow
from console.web.apiroutes import ApiError, Role, area_blueprint, audit_target, current_principal, route

bp = area_blueprint("users")


class UserCreate(BaseModel):
    """A user to add. The password is write-only: never logged, echoed or stored in clear."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"name": "dave", "password": "correct horse battery", "role": "viewer"}]})

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: SecretStr = Field(min_length=8, max_length=1024)
    role: Role


class UserUpdate(BaseModel):
    """What to change of a user; a field left out stays as it is. A new password ends the user's sessions opened
    before it; a disabled user can no longer log in, and their open sessions end at once."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"role": "operator"}, {"disabled": True}, {"password": "a new long password"}]})

    role: Role | None = None
    disabled: bool | None = None
    password: SecretStr | None = Field(default=None, min_length=8, max_length=1024)

    @model_validator(mode="after")
    def _changes_something(self) -> UserUpdate:
        if self.role is None and self.disabled is None and self.password is None:
            raise ValueError("name at least one of role, disabled, password")
        return self


class PasswordChange(BaseModel):
    """Your own new password, with the current one to prove it is you."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"current_password": "the one you log in with", "new_password": "a new long password"}]})

    current_password: SecretStr = Field(min_length=1, max_length=1024)
    new_password: SecretStr = Field(min_length=8, max_length=1024)


class UserOut(BaseModel):
    """A user as listed, without any password material."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: Role
    created_at: datetime.datetime
    disabled: bool


class UserList(BaseModel):
    """Every user."""

    items: list[UserOut]


@route(bp, "GET", "/users", role="admin", response=UserList, summary="List users")
def list_users():
    """Every user of the console."""
    return UserList(items=[UserOut.model_validate(u) for u in auth.list_users(store.session())])


@route(bp, "POST", "/users", role="admin", body=UserCreate, response=UserOut, status=201, errors=(409,),
       summary="Create a user; 409 when the name is taken")
def create(body: UserCreate):
    """Add a user with an argon2-hashed password."""
    audit_target(f"user:{body.name}", {"role": body.role})
    user = auth.create_user(store.session(), name=body.name, password=body.password.get_secret_value(), role=body.role)
    return UserOut.model_validate(user)


@route(bp, "PATCH", "/users/<name>", role="admin", body=UserUpdate, response=UserOut, errors=(404, 409),
       summary="Change a user's role, disable or enable them, or set a new password; 409 when no enabled admin "
               "would be left")
def update(name: str, body: UserUpdate):
    """Change what ``body`` names of the user ``name``."""
    changes = body.model_dump(exclude_none=True, exclude={"password"})
    audit_target(f"user:{name[:64]}", {**changes, **({"password": "set"} if body.password else {})})
    user = find_user(store.session(), name) if NAME.fullmatch(name) else None
    if user is None:
        raise ApiError(404, "not_found", f"no user {name[:64]!r}")
    password = body.password.get_secret_value() if body.password else None
    update_user(store.session(), user, role=body.role, disabled=body.disabled, password=password)
    if password and current_principal().via == "session" and current_principal().user_id == user.id:
        session["stamp"] = login_stamp(user)  # an admin's own new password keeps the session that set it
    return UserOut.model_validate(user)


@route(bp, "POST", "/me/password", role="viewer", body=PasswordChange, status=204, errors=(403, 429),
       summary="Change your own password (a logged-in user, not a token); your other sessions end")
def change_password(body: PasswordChange):
    """Set the caller's new password once the current one is proven; this session stays logged in."""
    principal = current_principal()
    audit_target(f"user:{principal.name}")
    user = store.session().get(User, principal.user_id) if principal.via == "session" else None
    if user is None:
        raise ApiError(403, "no_password", "a token has no password: log in as the user whose password it is")
    wait = password_change_retry_after(store.session(), name=user.name, source=request.remote_addr, now=utcnow())
    if wait is not None:
        raise ApiError(429, "throttled", f"too many wrong passwords: try again in {wait} s",
                       headers={"Retry-After": str(wait)})
    if not change_own_password(store.session(), user, current=body.current_password.get_secret_value(),
                               new=body.new_password.get_secret_value()):
        raise ApiError(403, WRONG_PASSWORD, "the current password is wrong")
    session["stamp"] = login_stamp(user)
    return None
