from authkit import csrf_token

from console import auth, store


def test_it_ends_the_session(alice):
    response = alice.post("/logout", data={"csrf_token": csrf_token(alice)})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert alice.get("/").status_code == 302


def test_it_is_refused_without_a_csrf_token(alice):
    assert alice.post("/logout").status_code == 400
    assert "alice</a> · admin" in alice.get("/login").get_data(as_text=True)


def test_it_is_not_a_get(alice):
    assert alice.get("/logout").status_code == 405


def test_it_is_audited(app, alice):
    alice.post("/logout", data={"csrf_token": csrf_token(alice)})
    with app.app_context():
        latest = auth.list_audit(store.session(), limit=1)[0]
    assert (latest.action, latest.actor, latest.result) == ("logout", "alice", "ok")
