from console import auth


def _record(n: int) -> None:
    for i in range(n):
        auth.record_audit(principal=None, action="test.step", target=f"step:{i}", result="ok", source=None)


def test_it_lists_the_newest_entries_first(app, db):
    _record(3)
    assert [e.target for e in auth.list_audit(db)] == ["step:2", "step:1", "step:0"]


def test_it_pages_with_limit_and_before_id(app, db):
    _record(5)
    first = auth.list_audit(db, limit=2)
    second = auth.list_audit(db, limit=2, before_id=first[-1].id)
    last = auth.list_audit(db, limit=2, before_id=second[-1].id)
    assert [e.target for e in first + second + last] == ["step:4", "step:3", "step:2", "step:1", "step:0"]
    assert auth.list_audit(db, before_id=last[-1].id) == []


def test_it_names_the_actor_by_how_it_authenticated(app, db):
    alice = auth.Principal(name="alice", role="admin", via="session", user_id=1)
    token = auth.Principal(name="deploys", role="operator", via="token", token_id=7)
    for principal in (alice, token):
        auth.record_audit(principal=principal, action="silence.create", target="silence:1", result="ok",
                          source="127.0.0.1")
    assert [e.actor for e in auth.list_audit(db)] == ["token:deploys", "alice"]
