from datetime import UTC, timedelta

import pytest
from sqlalchemy import select, text

from console import auth, create_app, store
from console.errors import Conflict
from console.store import ApiToken, AuditEntry, User


def test_it_round_trips_a_user_with_an_aware_timestamp(db):
    auth.create_user(db, name="alice", password="alice-password", role="admin")
    db.expire_all()
    alice = db.scalar(select(User).where(User.name == "alice"))
    assert (alice.role, alice.disabled) == ("admin", False)
    assert alice.created_at.tzinfo == UTC
    assert alice.password_hash.startswith("$argon2id$")


def test_it_round_trips_a_token_with_its_owner_and_expiry(db):
    bob = auth.create_user(db, name="bob", password="bob-password", role="operator")
    _, token = auth.create_token(db, role="operator", name="deploys", user_id=bob.id, expires_in=timedelta(days=2))
    db.expire_all()
    stored = db.get(ApiToken, token.id)
    assert (stored.name, stored.role, stored.user_id) == ("deploys", "operator", bob.id)
    assert stored.expires_at - stored.created_at == timedelta(days=2)
    assert stored.last_used_at is None and stored.revoked_at is None


def test_it_round_trips_an_audit_entry_with_json_detail(app, db):
    auth.record_audit(principal=None, action="rule.create", target="rule:HighErrorRate", result="ok",
                      source="127.0.0.1", detail={"group": "shop", "labels": {"severity": "page"}})
    entry = db.scalar(select(AuditEntry))
    assert entry.actor == "anonymous" and entry.source == "127.0.0.1"
    assert entry.detail == {"group": "shop", "labels": {"severity": "page"}}
    assert entry.at.tzinfo == UTC


def test_it_raises_a_conflict_for_a_taken_user_name(db):
    auth.create_user(db, name="charlie", password="charlie-password", role="viewer")
    with pytest.raises(Conflict) as caught:
        auth.create_user(db, name="charlie", password="other-password", role="admin")
    assert caught.value.what == "user charlie"
    # the session is usable again after the conflict
    assert [u.name for u in auth.list_users(db)] == ["charlie"]


def test_it_raises_a_conflict_for_a_taken_token_prefix(db):
    _, first = auth.create_token(db, role="viewer", name="one")
    clash = ApiToken(prefix=first.prefix, secret_hash="0" * 64, name="two", role="viewer")
    with pytest.raises(Conflict):
        store.save(db, clash, what="token")


def test_it_refuses_an_unknown_role(db):
    with pytest.raises(ValueError, match="unknown role 'root'"):
        auth.create_user(db, name="dave", password="dave-password", role="root")


def test_it_turns_on_wal_and_foreign_keys_for_sqlite(db, database_url):
    if not database_url.startswith("sqlite"):
        assert db.get_bind().dialect.name == "postgresql"
        return
    assert db.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert db.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


def test_it_syncs_every_commit_to_disk_when_told(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
                      "SQLITE_SYNCHRONOUS": "full"})
    with app.app_context():
        assert store.session().execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    store.get_engine(app).dispose()
