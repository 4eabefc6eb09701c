"""The incident pages: viewers read the list and an incident's evidence, operators ack, note, resolve and
silence through CSRF-checked forms; a silence made there mutes the alert in a real Alertmanager."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest

from kit import eventually, log_in

from alertkit import TOKEN, oncall_settings
from payloads import alert, notification

LABELS = {"alertname": "PageSilence", "service": "payments", "severity": "critical"}


@pytest.fixture
def oncall_app(make_console, smtp, chat, private_alertmanager):
    return make_console(**oncall_settings(smtp, chat), ALERTMANAGER_URL=private_alertmanager)


def open_incident(app, labels=LABELS, group="page-group") -> int:
    body = {**notification({**alert(f"{group}-1"), "labels": labels}, group_key=group), "commonLabels": labels}
    response = app.test_client().post("/api/v1/alertmanager/webhook", json=body,
                                      headers={"Authorization": f"Bearer {TOKEN}"})
    return response.json["incident_id"]


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def test_it_lists_incidents_for_a_viewer_and_refreshes_the_rows(oncall_app):
    incident = open_incident(oncall_app)
    viewer = log_in(oncall_app, "viewer")
    page = viewer.get("/incidents").get_data(as_text=True)
    assert f'href="/incidents/{incident}"' in page and 'hx-trigger="every 10s"' in page
    assert ">Incidents</a>" in page and "pill-down" in page
    rows = viewer.get("/incidents", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<table" in rows and "<html" not in rows


def test_it_puts_the_incidents_nobody_took_on_the_home_page(oncall_app):
    taken = open_incident(oncall_app, group="home-taken")
    waiting = open_incident(oncall_app, group="home-waiting")
    bob = log_in(oncall_app, "operator", name="bob")
    token = csrf(bob.get(f"/incidents/{taken}").get_data(as_text=True))
    assert bob.post(f"/incidents/{taken}/ack", data={"csrf_token": token}).status_code == 302
    home = bob.get("/").get_data(as_text=True)
    section = home.split('id="open-incidents"')[1].split("</table>")[0]
    assert f'href="/incidents/{waiting}"' in section and f'href="/incidents/{taken}"' not in section
    assert 'hx-get="/incidents?status=open&amp;limit=5"' in home  # and it refreshes itself
    rows = bob.get("/incidents?status=open&limit=5", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'href="/incidents/{waiting}"' in rows and f'href="/incidents/{taken}"' not in rows
    assert "No resolved incident." in bob.get("/incidents?status=resolved").get_data(as_text=True)


def test_it_says_how_many_open_incidents_the_home_page_leaves_out(oncall_app):
    for n in range(7):
        open_incident(oncall_app, group=f"many-{n}")
    viewer = log_in(oncall_app, "viewer")
    more = ('5 of 7 shown:\n    <a href="/incidents?status=open">all of them</a>')
    assert more in viewer.get("/").get_data(as_text=True)
    assert more in viewer.get("/incidents?status=open&limit=5", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert " shown" not in viewer.get("/incidents").get_data(as_text=True)  # all seven fit
    capped = viewer.get("/incidents?limit=3").get_data(as_text=True)
    assert "3 of 7 shown:" in capped and 'href="/incidents">all of them' in capped


def test_it_lists_the_incidents_of_one_service_from_the_service_column(oncall_app):
    payments = open_incident(oncall_app, group="svc-payments")
    orders = open_incident(oncall_app, labels={**LABELS, "service": "orders"}, group="svc-orders")
    viewer = log_in(oncall_app, "viewer")
    page = viewer.get("/incidents").get_data(as_text=True)
    assert '<a href="/incidents?service=orders">orders</a>' in page
    only = viewer.get("/incidents?service=orders").get_data(as_text=True)
    assert "Incidents of orders" in only and f'href="/incidents/{orders}"' in only
    assert f'href="/incidents/{payments}"' not in only and 'hx-get="/incidents?service=orders"' in only
    assert "No resolved incident of orders." in viewer.get("/incidents?status=resolved&service=orders").get_data(
        as_text=True)


def test_it_links_an_alert_moved_by_a_regroup_to_the_incident_that_took_it(oncall_app):
    client = oncall_app.test_client()
    for group_key in ('{}:{alertname="PageSilence"}', '{}:{alertname="PageSilence", service="payments"}'):
        body = {**notification({**alert("regrouped-1"), "labels": LABELS}, group_key=group_key), "commonLabels": LABELS}
        answer = client.post("/api/v1/alertmanager/webhook", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200, answer.json
    old, new = answer.json["incident_id"] - 1, answer.json["incident_id"]
    page = log_in(oncall_app, "viewer").get(f"/incidents/{old}").get_data(as_text=True)
    assert f'moved to <a href="/incidents/{new}">#{new}</a>' in page and "regrouped" in page
    assert 'class="pill pill-up">resolved<' in page


@pytest.mark.parametrize("query", ["status=closed", "limit=0", "limit=201", "limit=many", "service=pay%20ments"])
def test_it_answers_a_bad_incident_filter_with_400(oncall_app, query):
    assert log_in(oncall_app, "viewer").get(f"/incidents?{query}").status_code == 400


def test_it_shows_a_viewer_the_evidence_and_no_buttons(oncall_app):
    incident = open_incident(oncall_app)
    viewer = log_in(oncall_app, "viewer")
    page = viewer.get(f"/incidents/{incident}").get_data(as_text=True)
    assert 'alertname="PageSilence"' in page and "payments fails half its requests" in page
    assert "/api/v1/correlate?alert=page-group-1" in page
    assert re.search(r'href="/services/payments\?range=custom&amp;start=[^"]+&amp;end=[^"]+"', page)
    assert "received" in page and 'id="ack"' not in page and 'id="silence-form"' not in page
    token = csrf(viewer.get("/incidents").get_data(as_text=True)) if "csrf_token" in page else ""
    for action in ("ack", "resolve", "notes", "silence", "silences/00000000-0000-0000-0000-000000000000/expire"):
        assert viewer.post(f"/incidents/{incident}/{action}", data={"csrf_token": token}).status_code == 403


def test_it_links_the_runbook_and_lists_the_other_annotations(oncall_app):
    annotations = {"summary": "payments fails half its requests", "runbook_url": "https://wiki.example/runbooks/pay",
                   "dashboard": "https://grafana.example/d/payments", "team": "checkout"}
    body = notification({**alert("runbook-1"), "labels": LABELS, "annotations": annotations,
                         "generatorURL": "javascript:alert(1)"}, group_key="runbook-group")
    incident = oncall_app.test_client().post("/api/v1/alertmanager/webhook", json=body,
                                             headers={"Authorization": f"Bearer {TOKEN}"}).json["incident_id"]
    page = log_in(oncall_app, "viewer").get(f"/incidents/{incident}").get_data(as_text=True)
    assert '<a class="runbook" href="https://wiki.example/runbooks/pay">Runbook</a>' in page
    assert 'dashboard: <a href="https://grafana.example/d/payments">' in page and "team: checkout" in page
    assert "javascript:" not in page  # the generator URL is not a web link: no "expression" link at all


def test_it_gives_the_incident_as_markdown_for_its_postmortem(oncall_app):
    incident = open_incident(oncall_app, group="markdown-group")
    viewer = log_in(oncall_app, "viewer")
    assert f'href="/incidents/{incident}/timeline.md"' in viewer.get(f"/incidents/{incident}").get_data(as_text=True)
    answer = viewer.get(f"/incidents/{incident}/timeline.md")
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    text = answer.get_data(as_text=True)
    assert text.startswith(f"# Incident #{incident}: payments fails half its requests\n")
    assert f"- **In the console**: http://console.test/incidents/{incident}\n" in text  # PUBLIC_URL
    assert "| received | alertmanager |" in text
    assert viewer.get("/incidents/9999/timeline.md").status_code == 404
    assert oncall_app.test_client().get(f"/incidents/{incident}/timeline.md").status_code == 302  # to the login


def test_it_lets_an_operator_ack_note_silence_and_resolve(oncall_app, private_alertmanager):
    started = datetime.now(UTC).isoformat()
    httpx.post(f"{private_alertmanager}/api/v2/alerts", json=[{"labels": LABELS, "startsAt": started}],
               timeout=5).raise_for_status()
    incident = open_incident(oncall_app)
    bob = log_in(oncall_app, "operator", name="bob")
    token = csrf(bob.get(f"/incidents/{incident}").get_data(as_text=True))
    assert bob.post(f"/incidents/{incident}/ack", data={"csrf_token": token}).status_code == 302
    assert bob.post(f"/incidents/{incident}/notes", data={"csrf_token": token, "text": "on it"}).status_code == 302
    refused = bob.post(f"/incidents/{incident}/silence", data={"csrf_token": token, "matcher": ["alertname"],
                                                                "duration": "1h", "comment": ""})
    assert refused.status_code == 422 and "say why you silence it" in refused.get_data(as_text=True)
    made = bob.post(f"/incidents/{incident}/silence", data={
        "csrf_token": token, "matcher": list(LABELS), "duration": "1h", "comment": "fix on its way"})
    assert made.status_code == 302
    page = bob.get(f"/incidents/{incident}").get_data(as_text=True)
    assert re.search(r'<span class="answered">acknowledged by bob\s+\d+ s after it opened</span>', page)
    silence = re.search(r"silenced by bob until [0-9: -]+ UTC \(([0-9a-f-]+)\)", page)[1]
    held = lambda: httpx.get(f"{private_alertmanager}/api/v2/alerts",  # noqa: E731
                             params={"filter": 'alertname="PageSilence"'}, timeout=5).json()[0]["status"]
    assert eventually(lambda: held()["silencedBy"] == [silence], timeout=10, what="alert silenced")
    assert held()["state"] == "suppressed"
    page = bob.get(f"/incidents/{incident}").get_data(as_text=True)
    assert f'/incidents/{incident}/silences/{silence}/expire' in page
    assert bob.post(f"/incidents/{incident}/silences/{silence}/expire", data={"csrf_token": token}).status_code == 302
    assert eventually(lambda: held()["state"] == "active", timeout=10, what="alert active again")
    assert f"silence {silence} expired by bob" in bob.get(f"/incidents/{incident}").get_data(as_text=True)
    assert bob.post(f"/incidents/{incident}/resolve", data={"csrf_token": token}).status_code == 302
    again = bob.post(f"/incidents/{incident}/resolve", data={"csrf_token": token})
    assert again.status_code == 409 and "already resolved" in again.get_data(as_text=True)
    assert re.search(r"resolved by bob\s+\d+ (s|min)", again.get_data(as_text=True))
    assert bob.post(f"/incidents/{incident}/ack", data={}).status_code == 400  # no CSRF token


def test_it_renders_with_a_banner_when_alertmanager_is_down(make_console, smtp, chat, closed_url):
    app = make_console(**oncall_settings(smtp, chat), ALERTMANAGER_URL=closed_url)
    incident = open_incident(app)
    bob = log_in(app, "operator", name="bob")
    page = bob.get(f"/incidents/{incident}")
    assert page.status_code == 200 and "Alertmanager cannot be reached" in page.get_data(as_text=True)
    made = bob.post(f"/incidents/{incident}/silence", data={
        "csrf_token": csrf(page.get_data(as_text=True)), "matcher": ["alertname"], "duration": "1h", "comment": "x"})
    assert made.status_code == 503 and "Alertmanager did not take the silence" in made.get_data(as_text=True)


def test_it_lets_an_operator_reassign_to_another_user(oncall_app):
    incident = open_incident(oncall_app)
    operator = log_in(oncall_app, "operator", name="olive")
    log_in(oncall_app, "viewer", name="victor")
    page = operator.get(f"/incidents/{incident}").get_data(as_text=True)
    assert "<option>victor</option>" in page
    handed = operator.post(f"/incidents/{incident}/reassign",
                           data={"to": "victor", "note": "yours", "csrf_token": csrf(page)}, follow_redirects=True)
    shown = handed.get_data(as_text=True)
    assert 'assigned to <strong class="assignee">victor</strong>' in shown and "to victor: yours" in shown
    unknown = operator.post(f"/incidents/{incident}/reassign", data={"to": "nobody", "csrf_token": csrf(page)})
    assert unknown.status_code == 422 and "no active user named nobody" in unknown.get_data(as_text=True)
