from datetime import timedelta

from authkit import log_in

from console import store
from console.auth.throttle import MAX_FAILURES, WINDOW, login_retry_after
from console.store import utcnow


def _fail(client, times: int, address: str = "127.0.0.1") -> None:
    for _ in range(times):
        client.environ_base["REMOTE_ADDR"] = address
        assert log_in(client, "alice", "wrong-password").status_code == 401


def test_it_locks_a_name_out_after_five_failures(cast, client):
    _fail(client, MAX_FAILURES)
    response = log_in(client, "alice")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= WINDOW.total_seconds()
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_it_allows_four_failures(cast, client):
    _fail(client, MAX_FAILURES - 1)
    assert log_in(client, "alice").status_code == 302


def test_it_counts_per_name_and_address(cast, client):
    _fail(client, MAX_FAILURES, address="10.0.0.1")
    client.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    assert log_in(client, "alice").status_code == 302
    client.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    assert log_in(client, "bob").status_code == 302


def test_it_lets_the_name_in_again_after_the_window(app, cast, client):
    _fail(client, MAX_FAILURES)
    with app.app_context():
        db = store.session()
        now = utcnow()
        assert login_retry_after(db, name="alice", source="127.0.0.1", now=now) is not None
        assert login_retry_after(db, name="alice", source="127.0.0.1", now=now + WINDOW + timedelta(seconds=1)) is None
