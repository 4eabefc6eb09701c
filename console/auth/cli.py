"""``opsconsole token ...`` (create, list, revoke) and ``opsconsole user ...`` (create, list, password, role,
disable, enable), and the first admin at ``serve``/``demo``."""
from __future__ import annotations

import getpass
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import click
from flask import Flask, current_app, has_app_context
from flask.cli import ScriptInfo

from console.errors import UsageProblem

DURATION = re.compile(r"(\d+)([dhm])")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h`` or ``15m`` as a timedelta; anything else is a ``UsageProblem``."""
    match = DURATION.fullmatch(text.strip())
    if not match or int(match[1]) == 0:
        raise UsageProblem(f"bad duration {text!r}: use a positive number of days, hours or minutes (30d, 12h, 15m)")
    return timedelta(**{UNITS[match[2]]: int(match[1])})


@contextmanager
def console_app(settings: Mapping[str, Any] | None = None) -> Iterator[Flask]:
    """The console app in an app context: the current one, the test runner's, or else a new one."""
    from console import create_app, store

    if has_app_context():
        yield current_app
        return
    info = click.get_current_context(silent=True)
    script = info.find_object(ScriptInfo) if info else None
    app = script.load_app() if script else create_app(dict(settings) if settings else None)
    with app.app_context():
        yield app
    if not script:
        # the engine must not outlive this command (serve forks workers after it)
        store.get_engine(app).dispose()


def _cli_principal():
    from console.auth import Principal

    return Principal(name=getpass.getuser(), role="admin", via="cli")


def first_admin(settings: Mapping[str, Any] | None = None, *, environ: Mapping[str, str] = os.environ) -> str | None:
    """Create the first admin if there are no users yet, and show a generated password once on stderr; the
    admin's name when it showed one, else None."""
    from console import store
    from console.auth import OK, Principal, ensure_first_admin, record_audit
    from console.auth.users import first_admin_name

    with console_app(settings):
        password = ensure_first_admin(store.session(), environ=environ)
        name = first_admin_name(environ)
        if password is not None:
            record_audit(principal=Principal(name="first-run", role="admin", via="cli"), action="users.create",
                         target=f"user:{name}", result=OK, source="cli")
            # stderr of the terminal only: the logging handlers (and their files) never see it
            click.echo(f"opsconsole: first run: created admin {name!r} with password {password}", err=True)
            click.echo("opsconsole: this password is shown only once; change it or keep it safe", err=True)
            return name
    return None


@click.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--role", required=True, type=click.Choice(["viewer", "operator", "admin"]), help="What it may do.")
@click.option("--name", default="cli", show_default=True, help="A label to recognise the token by.")
@click.option("--expires", "expires", default=None, help="Lifetime such as 30d, 12h or 15m  [default: never]")
def token_create(role: str, name: str, expires: str | None) -> None:
    """Create an API token and print it once (only the token goes to stdout)."""
    from console import store
    from console.auth import OK, create_token, record_audit

    expires_in = parse_duration(expires) if expires is not None else None
    with console_app():
        clear, stored = create_token(store.session(), role=role, name=name, expires_in=expires_in)
        record_audit(principal=_cli_principal(), action="tokens.create", target=f"token:{stored.id}", result=OK,
                     source="cli", detail={"name": name, "role": role, "prefix": stored.prefix})
    click.echo(clear)


@token.command("list")
def token_list() -> None:
    """Every token, oldest first: id, name, role, prefix, state, expiry, last use (never a secret)."""
    from console import store
    from console.auth import list_tokens
    from console.auth.tokens import token_state
    from console.store import utcnow

    def when(at) -> str:
        return f"{at:%Y-%m-%d %H:%M}" if at else "never"

    now = utcnow()
    with console_app():
        for t in list_tokens(store.session()):
            click.echo(f"{t.id}\t{t.name}\t{t.role}\t{t.prefix}\t{token_state(t, now)}\texpires {when(t.expires_at)}"
                       f"\tused {when(t.last_used_at)}")


@token.command("revoke")
@click.argument("token_id", type=click.IntRange(min=1, max=2**63 - 1))
def token_revoke(token_id: int) -> None:
    """Revoke the token TOKEN_ID (from token list) at once."""
    from console import store
    from console.auth import OK, record_audit, revoke_token

    with console_app():
        if not revoke_token(store.session(), token_id):
            raise UsageProblem(f"no live token {token_id} (opsconsole token list shows them)")
        record_audit(principal=_cli_principal(), action="tokens.revoke", target=f"token:{token_id}", result=OK,
                     source="cli")
    click.echo(f"opsconsole: token {token_id} revoked", err=True)


@click.group()
def user() -> None:
    """Users of the console pages."""


@user.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["viewer", "operator", "admin"]), help="What they may do.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def user_create(name: str, role: str, password_stdin: bool) -> None:
    """Create a user; the password is asked twice, or read from stdin."""
    from console import store
    from console.auth import OK, create_user, record_audit

    password = _read_password(password_stdin)
    with console_app():
        create_user(store.session(), name=name, password=password, role=role)
        record_audit(principal=_cli_principal(), action="users.create", target=f"user:{name}", result=OK,
                     source="cli", detail={"role": role})
    click.echo(f"opsconsole: created user {name} ({role})", err=True)


@user.command("list")
def user_list() -> None:
    """Every user: name, role, whether they may log in, since when."""
    from console import store
    from console.auth import list_users

    with console_app():
        for u in list_users(store.session()):
            state = "disabled" if u.disabled else "enabled"
            click.echo(f"{u.name}\t{u.role}\t{state}\t{u.created_at:%Y-%m-%d %H:%M} UTC")


@user.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def user_password(name: str, password_stdin: bool) -> None:
    """Set a new password for NAME (a forgotten one too); their sessions opened before it end."""
    _change_user(name, {"password": "set"}, "a new password",
                 password=lambda: _read_password(password_stdin))


@user.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(["viewer", "operator", "admin"]))
def user_role(name: str, role: str) -> None:
    """Give NAME another role, from their next request on."""
    _change_user(name, {"role": role}, f"now {role}", role=role)


@user.command("disable")
@click.argument("name")
def user_disable(name: str) -> None:
    """Stop NAME from logging in; their open sessions end at their next request."""
    _change_user(name, {"disabled": True}, "disabled", disabled=True)


@user.command("enable")
@click.argument("name")
def user_enable(name: str) -> None:
    """Let a disabled NAME log in again."""
    _change_user(name, {"disabled": False}, "enabled", disabled=False)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return click.get_text_stream("stdin").readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)


def _change_user(name: str, detail: dict, done: str, **changes: Any) -> None:
    """Apply ``changes`` to the user ``name``, audit them as the API does (``detail`` never holds a password) and
    say what was ``done``; a change given as a callable is asked for once the user is known to exist."""
    from console import store
    from console.auth import OK, record_audit
    from console.auth.users import find_user, update_user

    with console_app():
        db = store.session()
        found = find_user(db, name)
        if found is None:
            raise UsageProblem(f"no user {name!r} (opsconsole user list shows who there is)")
        update_user(db, found, **{k: v() if callable(v) else v for k, v in changes.items()})
        record_audit(principal=_cli_principal(), action="users.update", target=f"user:{name}", result=OK,
                     source="cli", detail=detail)
    click.echo(f"opsconsole: user {name}: {done}", err=True)
