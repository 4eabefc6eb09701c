"""Every answer of the console carries its security headers: pages, the login page, API answers, errors and
static files."""
from __future__ import annotations

import pytest

from console.web.headers import HEADERS


@pytest.fixture
def client(app, logged_in):
    return logged_in(app)


@pytest.mark.parametrize("path, status", [
    ("/services", 200),
    ("/login", 200),
    ("/api/v1/health", 200),
    ("/no-such-page", 404),
], ids=["page", "login page", "api", "error page"])
def test_it_sends_the_security_headers_on_every_answer(client, path, status):
    answer = client.get(path)
    assert answer.status_code == status
    for name, value in HEADERS.items():
        assert answer.headers[name] == value


def test_it_lets_static_files_be_cached_and_revalidated(client):
    answer = client.get("/static/htmx.min.js")
    assert answer.headers["Cache-Control"] == "no-cache" and answer.headers["ETag"]
    assert answer.headers["Content-Security-Policy"] == HEADERS["Content-Security-Policy"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    answer.close()


def test_it_forbids_framing_and_inline_scripts(client):
    policy = dict(d.split(" ", 1) for d in client.get("/").headers["Content-Security-Policy"].split("; "))
    assert policy["frame-ancestors"] == "'none'" and policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["form-action"] == "'self'"


def test_it_keeps_htmx_from_evaluating_code(client):
    html = client.get("/").get_data(as_text=True)
    assert """<meta name="htmx-config" content='{"allowEval": false}'>""" in html
