from sqlalchemy import select

from console import store
from console.auth import ensure_first_admin, list_users
from console.auth.cli import first_admin
from console.auth.passwords import verify_password
from console.store import User


def test_it_creates_the_admin_from_the_environment(app):
    with app.app_context():
        db = store.session()
        environ = {"OPSCONSOLE_ADMIN_USER": "root-ops", "OPSCONSOLE_ADMIN_PASSWORD": "from-the-env-123"}
        assert ensure_first_admin(db, environ=environ) is None
        admin = db.scalar(select(User))
    assert (admin.name, admin.role) == ("root-ops", "admin")
    assert verify_password(admin.password_hash, "from-the-env-123")


def test_it_generates_a_password_once(app):
    with app.app_context():
        db = store.session()
        password = ensure_first_admin(db, environ={})
        assert password and len(password) >= 16
        assert verify_password(db.scalar(select(User)).password_hash, password)
        assert ensure_first_admin(db, environ={}) is None
        assert [u.name for u in list_users(db)] == ["admin"]


def test_it_does_nothing_when_users_exist(app, cast):
    with app.app_context():
        assert ensure_first_admin(store.session(), environ={"OPSCONSOLE_ADMIN_USER": "eve"}) is None
        assert [u.name for u in list_users(store.session())] == ["alice", "bob", "charlie"]


def test_it_prints_the_generated_password_on_stderr_only(app, capsys, caplog):
    with app.app_context():
        assert first_admin(environ={}) == "admin"
    printed = capsys.readouterr()
    assert printed.out == ""
    password = printed.err.split("with password ")[1].split()[0]
    assert password not in caplog.text
    with app.app_context():
        assert verify_password(store.session().scalar(select(User)).password_hash, password)
    with app.app_context():
        assert first_admin(environ={}) is None
    assert capsys.readouterr().err == ""
