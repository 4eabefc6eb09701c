import re

import pytest


@pytest.fixture
def client(app, logged_in):
    """Pages need a login: a viewer's client."""
    return logged_in(app)


def test_it_shows_every_backend_up(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for name in ("prometheus", "alertmanager", "elasticsearch", "jaeger"):
        assert f"<td>{name}</td>" in html
    assert html.count('class="pill pill-up"') == 4
    assert 'role="alert"' not in html


def test_it_refreshes_the_table_every_five_seconds_with_htmx(client):
    html = client.get("/").get_data(as_text=True)
    assert 'hx-get="/"' in html and 'hx-trigger="every 5s"' in html
    assert '<script src="/static/htmx.min.js"' in html


def test_it_shows_a_banner_for_a_backend_that_is_down(make_app, logged_in, closed_port):
    app = make_app(JAEGER_URL=f"http://127.0.0.1:{closed_port}")
    response = logged_in(app).get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('role="alert"') == 1
    assert "<strong>jaeger is down.</strong>" in html and f"127.0.0.1:{closed_port}" in html
    assert html.count('class="pill pill-down"') == 1


def test_it_sends_only_the_partial_to_htmx(client):
    response = client.get("/", headers={"HX-Request": "true"})
    assert "HX-Request" in response.headers["Vary"]
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<table") and "<html" not in html
    assert "Checked at" in html


def test_it_links_only_areas_that_exist(client):
    html = client.get("/").get_data(as_text=True)
    assert 'aria-current="page">Home</a>' in html
    areas = re.findall(r'<a href="[^"]*"[^>]*>([^<]+)</a>', html.split("</nav>")[0])
    assert [a for a in areas if a != "opsconsole"] == ["Home", "Services", "Logs", "Traces", "Rules", "SLOs",
                                                       "Incidents", "Silences", "On-call", "Scaling"]


def test_it_serves_the_vendored_htmx(client):
    response = client.get("/static/htmx.min.js")
    assert response.status_code == 200 and b"htmx" in response.data[:200]
    response.close()


@pytest.mark.parametrize("path, area", [
    ("/services?range=15m", 'aria-current="page">Services</a>'),
    ("/services/payments?range=15m", 'aria-current="true">Services</a>'),  # a page inside the area
    ("/slos/no-such-slo", 'aria-current="true">SLOs</a>'),
])
def test_it_marks_the_area_of_the_page_in_the_menu(client, path, area):
    menu = client.get(path).get_data(as_text=True).split("</nav>")[0]
    assert area in menu and menu.count("aria-current") == 1


@pytest.mark.parametrize("path, logs_link", [
    ("/services?range=6h", "/logs?range=6h"),
    ("/traces?range=custom&start=2026-01-01T10:00:00Z&end=2026-01-01T11:00:00Z",
     "/logs?range=custom&amp;start=2026-01-01T10:00:00Z&amp;end=2026-01-01T11:00:00Z"),
    ("/services", "/logs"),  # no range asked for: the next page picks its own default
    ("/rules", "/logs"),  # a page without a range
])
def test_it_takes_the_range_of_the_page_to_the_ranged_areas(client, path, logs_link):
    menu = client.get(path).get_data(as_text=True).split("</nav>")[0]
    links = dict((label, href) for href, label in re.findall(r'<a href="([^"]*)"[^>]*>([^<]+)</a>', menu))
    assert links["Logs"] == logs_link
    assert links["Services"] == logs_link.replace("/logs", "/services")
    assert links["Rules"] == "/rules" and links["Home"] == "/"  # no range on pages that show none
