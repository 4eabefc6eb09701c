"""The SLO pages and API when something is missing: Prometheus down (a banner; the API's 503), definitions that do
not parse (a banner naming the field), none at all (how to add some)."""
from __future__ import annotations

import pytest

from console import create_app, store
from console.backends import close_backends
from kit import log_in


@pytest.fixture
def console_with(tmp_path, closed_url):
    apps = []

    def make(definitions: str | None):
        directory = tmp_path / "slo"
        directory.mkdir(exist_ok=True)
        if definitions is not None:
            (directory / "shop.yml").write_text(definitions)
        app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
                          "PROMETHEUS_URL": closed_url, "SLO_DIR": str(directory)})
        apps.append(app)
        return log_in(app)

    yield make
    for app in apps:
        close_backends(app)
        store.get_engine(app).dispose()


PAYMENTS = "slos:\n- name: payments-availability\n  service: payments\n  objective: 99.5\n"


def test_prometheus_down_is_a_banner_on_the_pages_and_a_503_from_the_api(console_with):
    viewer = console_with(PAYMENTS)
    page = viewer.get("/slos")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'role="alert"' in text and "Prometheus did not answer" in text and "payments-availability" in text
    assert '<td class="num objective">99.5 % over 30d</td>' in text  # the objective and its window, one column
    detail = viewer.get("/slos/payments-availability")
    assert detail.status_code == 200 and "Generated rules" in detail.get_data(as_text=True)
    answer = viewer.get("/api/v1/slos")
    assert answer.status_code == 503 and answer.json["error"] == "backend_unavailable", answer.json


def test_definitions_that_do_not_parse_are_named(console_with):
    viewer = console_with("slos:\n- name: x\n  service: payments\n  objective: 120\n")
    text = viewer.get("/slos").get_data(as_text=True)
    assert "SLO definitions unreadable" in text and "slos[0].objective" in text
    answer = viewer.get("/api/v1/slos")
    assert answer.status_code == 503 and "slos[0].objective" in answer.json["detail"]


def test_without_slos_the_page_says_how_to_add_them_and_an_unknown_one_is_404(console_with):
    viewer = console_with(None)
    assert "opsconsole rules slo apply" in viewer.get("/slos").get_data(as_text=True)
    assert viewer.get("/api/v1/slos").json == {"items": []}
    assert viewer.get("/slos/nope").status_code == 404


def test_the_pages_need_a_login(console_with, tmp_path):
    console_with(PAYMENTS)
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"})
    assert app.test_client().get("/slos").status_code == 302
    assert app.test_client().get("/api/v1/slos").status_code == 401
    store.get_engine(app).dispose()
