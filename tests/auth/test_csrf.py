import re

from authkit import csrf_token, password_of


def test_it_refuses_a_form_post_without_the_token(cast, client):
    response = client.post("/login", data={"name": "alice", "password": password_of("alice")})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_it_refuses_a_form_post_with_a_forged_token(cast, client):
    csrf_token(client)
    response = client.post("/login", data={"name": "alice", "password": password_of("alice"), "csrf_token": "forged"})
    assert response.status_code == 400


def test_it_accepts_a_form_post_with_the_token(cast, client):
    form = {"name": "alice", "password": password_of("alice"), "csrf_token": csrf_token(client)}
    assert client.post("/login", data=form).status_code == 302


def test_it_accepts_the_token_in_the_header_htmx_sends(alice):
    html = alice.get("/login").get_data(as_text=True)
    header = re.search(r"""hx-headers='\{"X-CSRFToken": "([^"]+)"\}'""", html)[1]
    assert re.search(r'<meta name="csrf-token" content="([^"]+)"', html)[1] == header
    response = alice.post("/logout", headers={"X-CSRFToken": header, "HX-Request": "true"})
    assert response.status_code == 302
