from datetime import timedelta

from console import auth
from console.auth.tokens import principal_for_token
from console.store import utcnow


def test_it_authenticates_a_new_token_and_records_its_use(db):
    clear, stored = auth.create_token(db, role="operator", name="deploys")
    principal = principal_for_token(db, clear)
    assert principal == auth.Principal(name="deploys", role="operator", via="token", token_id=stored.id)
    db.expire_all()
    assert stored.last_used_at is not None


def test_it_refuses_a_revoked_token(db):
    clear, stored = auth.create_token(db, role="admin", name="old")
    assert auth.revoke_token(db, stored.id) is True
    assert auth.revoke_token(db, stored.id) is False
    assert principal_for_token(db, clear) is None
    assert auth.revoke_token(db, 999_999) is False


def test_it_refuses_an_expired_token(db):
    clear, _ = auth.create_token(db, role="viewer", name="short", expires_in=timedelta(minutes=15))
    assert principal_for_token(db, clear, now=utcnow() + timedelta(minutes=14)) is not None
    assert principal_for_token(db, clear, now=utcnow() + timedelta(minutes=16)) is None


def test_it_refuses_a_wrong_secret_or_a_malformed_token(db):
    clear, _ = auth.create_token(db, role="viewer", name="t")
    assert principal_for_token(db, clear[:-1] + ("A" if clear[-1] != "A" else "B")) is None
    for bad in ("", "osc_", "osc_nope", "Bearer x", clear.replace("osc_", "xyz_")):
        assert principal_for_token(db, bad) is None


def test_it_lists_tokens_revoked_ones_included(db):
    _, one = auth.create_token(db, role="viewer", name="one")
    auth.create_token(db, role="admin", name="two")
    auth.revoke_token(db, one.id)
    assert [(t.name, t.revoked_at is not None) for t in auth.list_tokens(db)] == [("one", True), ("two", False)]
