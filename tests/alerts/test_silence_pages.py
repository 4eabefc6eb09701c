"""The silences page against a real Alertmanager of the module's own: viewers read every silence with what it
mutes now; operators make one from matchers they write (checked as the API checks them) and expire it, audited;
Alertmanager down is a banner."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from console import store
from console.store.models import AuditEntry
from kit import eventually, log_in

from alertkit import oncall_settings

LABELS = {"alertname": "SilencePage", "service": "payments", "severity": "critical"}


@pytest.fixture
def oncall_app(make_console, smtp, chat, private_alertmanager):
    return make_console(**oncall_settings(smtp, chat), ALERTMANAGER_URL=private_alertmanager)


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def held(alertmanager: str) -> dict:
    """Our alert's status in Alertmanager."""
    return httpx.get(f"{alertmanager}/api/v2/alerts", params={"filter": 'alertname="SilencePage"'},
                     timeout=5).json()[0]["status"]


def audited(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(e.action, e.target, e.result) for e in store.session().scalars(
            select(AuditEntry).where(AuditEntry.action.like("silences.%")).order_by(AuditEntry.id))]


def row(page: str, silence_id: str) -> str:
    return page.split(f'data-silence="{silence_id}"')[1].split("</tr>")[0]


def test_it_lets_an_operator_silence_by_matchers_and_expire_and_a_viewer_read(oncall_app, private_alertmanager):
    httpx.post(f"{private_alertmanager}/api/v2/alerts", json=[{"labels": LABELS, "startsAt": datetime.now(UTC).isoformat()}],
               timeout=5).raise_for_status()
    bob = log_in(oncall_app, "operator", name="bob")
    page = bob.get("/silences").get_data(as_text=True)
    assert '<a href="/silences"' in page  # in the menu
    made = bob.post("/silences", data={"csrf_token": csrf(page), "duration": "2h", "comment": "payments maintenance",
                                       "matchers": 'alertname="SilencePage"\nservice=~"pay.*"'})
    assert made.status_code == 302
    silence = made.headers["Location"].split("made=")[1]
    assert eventually(lambda: held(private_alertmanager)["silencedBy"] == [silence], timeout=10, what="alert silenced")

    charlie = log_in(oncall_app, "viewer")
    page = charlie.get("/silences").get_data(as_text=True)
    listed = row(page, silence)
    assert ">active<" in listed and "payments maintenance" in listed and ">bob<" in listed
    assert [m.replace("&#34;", '"') for m in re.findall(r'<code class="label">([^<]+)</code>', listed)] == [
        'alertname="SilencePage"', 'service=~"pay.*"']
    assert 'SilencePage <a href="/incidents?service=payments">payments</a>' in listed  # what it mutes now
    assert "(in 2.0 h)" in listed
    assert "/expire" not in page and 'id="silence-form"' not in page  # a viewer reads only
    assert charlie.post(f"/silences/{silence}/expire", data={"csrf_token": csrf(page)}).status_code == 403

    page = bob.get("/silences").get_data(as_text=True)
    assert bob.post(f"/silences/{silence}/expire", data={"csrf_token": csrf(page)}).status_code == 302
    assert eventually(lambda: held(private_alertmanager)["state"] == "active", timeout=10, what="alert active again")
    page = bob.get("/silences").get_data(as_text=True)
    assert "payments maintenance" in page.split("Recently expired")[1]
    unknown = bob.post("/silences/0b9d7e1c-0000-4000-8000-000000000000/expire", data={"csrf_token": csrf(page)})
    assert unknown.status_code == 404 and "no silence 0b9d7e1c" in unknown.get_data(as_text=True)
    assert audited(oncall_app) == [("silences.create", f"silence:{silence}", "ok"),
                                   ("silences.expire", f"silence:{silence}", "ok"),
                                   ("silences.expire", "silence:0b9d7e1c-0000-4000-8000-000000000000", "error")]


@pytest.mark.parametrize(("form", "problem"), [
    ({"matchers": "alertname=Bare", "comment": "x"}, 'line 1: write name="value"'),
    ({"matchers": "", "comment": "x"}, "name at least one label"),
    ({"matchers": 'alertname="A"', "comment": "  "}, "say why you silence it"),
    ({"matchers": 'alertname="A"', "comment": "x", "duration": "1y"}, "choose a duration"),
    ({"matchers": 'service=~".*"', "comment": "x"}, "at least one matcher must not match a missing label"),
    ({"matchers": 'service=~"(unclosed"', "comment": "x"}, "matcher service: not a regular expression"),
], ids=["unquoted value", "no matcher", "no reason", "unknown duration", "matches everything", "bad regex"])
def test_it_refuses_a_bad_silence_keeping_what_was_typed(oncall_app, private_alertmanager, form, problem):
    bob = log_in(oncall_app, "operator", name="bob")
    before = httpx.get(f"{private_alertmanager}/api/v2/silences", timeout=5).json()
    answer = bob.post("/silences", data={"csrf_token": csrf(bob.get("/silences").get_data(as_text=True)),
                                         "duration": "1h", **form})
    html = answer.get_data(as_text=True).replace("&#34;", '"').replace("&#39;", "'")
    assert answer.status_code == 422
    assert problem in html.split('class="form-error"')[1]
    assert form["matchers"] in html  # the text stays in the form
    assert httpx.get(f"{private_alertmanager}/api/v2/silences", timeout=5).json() == before
    assert audited(oncall_app) == []


def test_it_renders_with_a_banner_when_alertmanager_is_down(make_console, smtp, chat, closed_url):
    app = make_console(**oncall_settings(smtp, chat), ALERTMANAGER_URL=closed_url)
    bob = log_in(app, "operator", name="bob")
    page = bob.get("/silences")
    assert page.status_code == 200 and "Alertmanager cannot be reached" in page.get_data(as_text=True)
    made = bob.post("/silences", data={"csrf_token": csrf(page.get_data(as_text=True)), "duration": "1h",
                                       "matchers": 'alertname="A"', "comment": "x"})
    assert made.status_code == 503 and "Alertmanager did not take the silence" in made.get_data(as_text=True)
    assert audited(app) == [("silences.create", "silence", "error")]
