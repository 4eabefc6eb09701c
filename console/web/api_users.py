"""``/api/v1/users``: the people who log in to the console, and their roles."""
from __future__ import annotations

import datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from console import auth, store
from console.web.apiroutes import Role, area_blueprint, audit_target, route

bp = area_blueprint("users")


class UserCreate(BaseModel):
    """A user to add. The password is write-only: never logged, echoed or stored in clear."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"name": "dave", "password": "correct horse battery", "role": "viewer"}]})

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: SecretStr = Field(min_length=8, max_length=1024)
    role: Role


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
