from datetime import timedelta

import pytest
from authkit import log_in

from console import store
from console.auth import list_audit, list_tokens, list_users
from console.auth.cli import parse_duration
from console.auth.passwords import verify_password
from console.auth.tokens import principal_for_token
from console.cli import main


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_it_prints_only_the_token_on_stdout(app, runner):
    result = runner.invoke(main, ["token", "create", "--role", "operator", "--name", "deploys", "--expires", "30d"])
    assert result.exit_code == 0, result.output
    clear = result.stdout.strip()
    assert result.stdout == clear + "\n" and clear.startswith("osc_")
    with app.app_context():
        db = store.session()
        assert principal_for_token(db, clear).role == "operator"
        (token,) = list_tokens(db)
        assert token.expires_at - token.created_at == timedelta(days=30)
        entry = list_audit(db)[0]
        # as the API records a token it mints: by id, with its name, role and prefix
        assert (entry.action, entry.target, entry.result) == ("tokens.create", f"token:{token.id}", "ok")
        assert entry.detail == {"name": "deploys", "role": "operator", "prefix": token.prefix}


def test_it_refuses_a_bad_duration_in_one_line(runner):
    result = runner.invoke(main, ["token", "create", "--role", "viewer", "--expires", "soon"])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "bad duration 'soon'" in result.stderr
    assert result.stdout == ""


def test_it_refuses_an_unknown_role(runner):
    result = runner.invoke(main, ["token", "create", "--role", "root"])
    assert result.exit_code == 2 and "root" in result.stderr


@pytest.mark.parametrize("text, expected", [
    ("30d", timedelta(days=30)), ("12h", timedelta(hours=12)), ("15m", timedelta(minutes=15)),
])
def test_it_parses_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["0d", "30", "d", "1w", "-1d", "1.5h", ""])
def test_it_refuses_bad_durations(text):
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text)


def test_it_creates_a_user_from_a_prompt_with_confirmation(app, runner):
    result = runner.invoke(main, ["user", "create", "bob", "--role", "operator"],
                           input="bob-pass-1234\nbob-pass-1234\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        (bob,) = list_users(store.session())
        assert (bob.name, bob.role) == ("bob", "operator") and verify_password(bob.password_hash, "bob-pass-1234")


def test_it_creates_a_user_from_stdin(app, runner):
    result = runner.invoke(main, ["user", "create", "charlie", "--role", "viewer", "--password-stdin"],
                           input="charlie-pass-1234\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert [u.name for u in list_users(store.session())] == ["charlie"]
        assert list_audit(store.session())[0].target == "user:charlie"


def test_it_refuses_a_taken_user_name(runner, cast):
    result = runner.invoke(main, ["user", "create", "alice", "--role", "viewer", "--password-stdin"],
                           input="another-pass-1234\n")
    assert result.exit_code == 1 and "user alice: already exists" in result.stderr


def test_it_lists_users_with_their_role_and_state(runner, cast):
    runner.invoke(main, ["user", "disable", "charlie"])
    result = runner.invoke(main, ["user", "list"])
    assert result.exit_code == 0, result.output
    assert [line.split("\t")[:3] for line in result.stdout.splitlines()] == [
        ["alice", "admin", "enabled"], ["bob", "operator", "enabled"], ["charlie", "viewer", "disabled"]]


def test_it_sets_a_forgotten_password_which_logs_in(app, runner, cast, client):
    result = runner.invoke(main, ["user", "password", "bob"], input="bob's new pass\nbob's new pass\n")
    assert result.exit_code == 0, result.output
    assert result.stderr.endswith("\nopsconsole: user bob: a new password\n")
    assert log_in(client, "bob", "bob's new pass").status_code == 302
    with app.app_context():
        entry = list_audit(store.session())[1]
        assert (entry.action, entry.target, entry.detail, entry.source) == ("users.update", "user:bob",
                                                                            {"password": "set"}, "cli")


@pytest.mark.parametrize("args, field, value", [
    (["role", "charlie", "operator"], "role", "operator"),
    (["disable", "bob"], "disabled", True),
], ids=["role", "disable"])
def test_it_changes_a_user(app, runner, cast, args, field, value):
    result = runner.invoke(main, ["user", *args])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert getattr(store.session().get(store.User, cast[args[1]]), field) == value


def test_it_enables_a_disabled_user_again(runner, cast, client):
    runner.invoke(main, ["user", "disable", "bob"])
    assert log_in(client, "bob").status_code == 401
    assert runner.invoke(main, ["user", "enable", "bob"]).exit_code == 0
    assert log_in(client, "bob").status_code == 302


def test_it_names_an_unknown_user_before_asking_for_a_password(runner, cast):
    result = runner.invoke(main, ["user", "password", "dave"], input="")
    assert result.exit_code == 2 and "no user 'dave'" in result.stderr and "Password" not in result.stderr


def test_it_keeps_the_last_enabled_admin(runner, cast):
    result = runner.invoke(main, ["user", "disable", "alice"])
    assert result.exit_code == 1 and "the last enabled admin" in result.stderr


def test_it_lists_tokens_without_secrets(runner):
    clear = runner.invoke(main, ["token", "create", "--role", "viewer", "--name", "grafana"]).stdout.strip()
    result = runner.invoke(main, ["token", "list"])
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    assert line.split("\t")[1:5] == ["grafana", "viewer", clear.split("_")[1], "active"]
    assert clear.split("_", 2)[2] not in result.stdout


def test_it_revokes_a_token(app, runner):
    clear = runner.invoke(main, ["token", "create", "--role", "viewer"]).stdout.strip()
    with app.app_context():
        (token,) = list_tokens(store.session())
    result = runner.invoke(main, ["token", "revoke", str(token.id)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert principal_for_token(store.session(), clear) is None
        assert list_audit(store.session())[0].action == "tokens.revoke"
    again = runner.invoke(main, ["token", "revoke", str(token.id)])
    assert again.exit_code == 2 and f"no live token {token.id}" in again.stderr
