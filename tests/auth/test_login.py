from authkit import log_in
from flask import session

from console import auth, store


def test_it_shows_the_login_form_with_a_csrf_token(client):
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="csrf_token"' in html and 'type="password"' in html
    assert '<meta name="csrf-token"' in html


def test_it_sends_a_visitor_of_a_page_to_the_login(client):
    response = client.get("/?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/?x%3D1"


def test_it_tells_htmx_to_load_the_login_page(client):
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")


def test_it_leaves_probes_metrics_and_assets_open(client):
    for path in ("/healthz", "/readyz", "/metrics", "/static/console.css"):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()


def test_it_logs_in_and_goes_on_to_next(cast, client):
    response = log_in(client, "bob", next="/metrics")
    assert response.status_code == 302 and response.headers["Location"] == "/metrics"
    with client:
        client.get("/metrics")
        assert session["user_id"] == cast["bob"]


def test_it_never_redirects_off_site(cast, client):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = log_in(client, "bob", next=target)
        assert response.headers["Location"] == "/", target


def test_it_refuses_a_wrong_password_with_401(cast, client):
    response = log_in(client, "alice", "wrong-password")
    assert response.status_code == 401
    assert "Wrong name or password." in response.get_data(as_text=True)
    assert client.get("/", follow_redirects=False).status_code == 302


def test_it_refuses_an_unknown_user_the_same_way(cast, client):
    response = log_in(client, "mallory", "whatever-password")
    assert response.status_code == 401
    assert "Wrong name or password." in response.get_data(as_text=True)


def test_it_refuses_a_disabled_user(app, cast, client):
    with app.app_context():
        store.session().get(store.User, cast["charlie"]).disabled = True
        store.session().commit()
    assert log_in(client, "charlie").status_code == 401


def test_it_renews_the_session_at_login(cast, client):
    with client.session_transaction() as planted:
        planted["planted"] = "by an attacker"
    log_in(client, "bob")
    with client.session_transaction() as current:
        assert "planted" not in current


def test_it_audits_success_and_failure_without_the_password(app, cast, client):
    log_in(client, "alice", "wrong-password")
    log_in(client, "alice")
    with app.app_context():
        entries = auth.list_audit(store.session())
    assert [(e.action, e.actor, e.target, e.result, e.source) for e in entries] == [
        ("login", "alice", "user:alice", "ok", "127.0.0.1"),
        ("login", "anonymous", "user:alice", "failed", "127.0.0.1"),
    ]
    assert all("pass" not in repr(e.detail) for e in entries)


def test_it_shows_who_is_logged_in(charlie):
    html = charlie.get("/login").get_data(as_text=True)
    assert '<a href="/account" title="your account: change your password">charlie</a> · viewer' in html
    assert "Log out" in html


def test_it_sets_an_httponly_lax_session_cookie(cast, client):
    cookie = log_in(client, "bob").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_it_marks_the_cookie_secure_when_configured(make_app):
    client = make_app(SESSION_COOKIE_SECURE=True).test_client()
    # the login form puts its CSRF token in the session, so the page already sets the cookie
    assert "Secure" in client.get("/login", base_url="https://localhost").headers["Set-Cookie"]
