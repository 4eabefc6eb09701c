"""HTTP errors on pages: a page of the console, with its menu and a way on, instead of Werkzeug's bare one."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from console import store

from kit import log_in


@pytest.fixture
def app(build_app, closed_url):
    """Make a console whose backends are all unreachable: no page here asks one, each fails before it would."""
    backends = ("PROMETHEUS_URL", "ALERTMANAGER_URL", "ELASTICSEARCH_URL", "JAEGER_URL")
    return lambda **overrides: build_app(**{**dict.fromkeys(backends, closed_url), **overrides})


def test_it_shows_a_bad_range_inside_the_console_with_a_way_back(app):
    answer = log_in(app()).get("/services?range=bogus")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and answer.mimetype == "text/html"
    assert "<title>Bad Request · opsconsole</title>" in html
    assert "unknown range &#39;bogus&#39; (known: 15m, 1h, 6h, 24h, custom)" in html
    assert '<a href="/services">This page with its defaults</a>' in html
    assert '<a href="/logs"' in html  # the menu


def test_it_tells_a_viewer_which_role_a_page_needs(app):
    answer = log_in(app()).get("/rules/new")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 403
    assert "this page needs the operator role" in html and '<a href="/rules"' in html
    assert "This page with its defaults" not in html  # it had no arguments to drop


def test_it_keeps_the_allow_header_of_a_method_not_allowed(app):
    answer = log_in(app()).get("/logout")
    assert answer.status_code == 405 and answer.headers["Allow"].split(", ").count("POST") == 1
    assert "<title>Method Not Allowed · opsconsole</title>" in answer.get_data(as_text=True)


def test_it_shows_a_stranger_an_unknown_path_without_the_menu(app):
    answer = app().test_client().get("/no-such-page")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 404 and "<title>Not Found · opsconsole</title>" in html
    assert '<a href="/login">Log in</a>' in html and '<a href="/services"' not in html


def test_it_falls_back_to_the_plain_page_when_the_store_fails(app):
    console = app(PROPAGATE_EXCEPTIONS=False)
    viewer = log_in(console)
    with console.app_context():
        store.session().execute(text("ALTER TABLE users RENAME TO users_gone"))
    answer = viewer.get("/services")
    html = answer.get_data(as_text=True)
    # reading the user failed, and again when the error page wanted the menu: Werkzeug's page still answers
    assert answer.status_code == 500 and "<title>500 Internal Server Error</title>" in html
    assert "opsconsole" not in html
