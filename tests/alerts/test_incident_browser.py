"""The on-call path in Debian's Chromium: incident list -> the incident with its evidence -> ack -> silence,
against a real Alertmanager of the module's own, and the same pages on a phone with the notification's ack link;
screenshots of each step go to test-artifacts/."""
from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime

import httpx
import pytest

from console import auth, store
from console.alerts import notifier
from kit import PASSWORD, browser_page, eventually, serving

from alertkit import TOKEN, oncall_settings
from payloads import alert, notification

LABELS = {"alertname": "BrowserPath", "service": "payments", "severity": "critical"}


@pytest.fixture
def oncall_app(make_console, smtp, chat, private_alertmanager):
    return make_console(**oncall_settings(smtp, chat), ALERTMANAGER_URL=private_alertmanager)


def test_it_walks_from_the_list_to_ack_and_silence(oncall_app, private_alertmanager, artifacts):
    httpx.post(f"{private_alertmanager}/api/v2/alerts", timeout=5, json=[
        {"labels": LABELS, "annotations": {"summary": "payments fails half its requests"},
         "startsAt": datetime.now(UTC).isoformat()}]).raise_for_status()
    body = {**notification({**alert("browser-1"), "labels": LABELS}, group_key="browser-group"), "commonLabels": LABELS}
    warning = {**notification(alert("browser-2", service="catalog", severity="warning"), group_key="browser-warn")}
    client = oncall_app.test_client()
    for payload in (warning, body):
        assert client.post("/api/v1/alertmanager/webhook", json=payload,
                           headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    with oncall_app.app_context():
        auth.create_user(store.session(), name="bob", password=PASSWORD, role="operator")
    with serving(oncall_app) as url, browser_page(url, "bob") as page:
        page.click("nav >> text=Incidents")
        page.wait_for_selector("#incident-rows table")
        rows = page.locator("#incident-rows tbody tr")
        assert rows.count() == 2 and "critical" in rows.nth(0).inner_text()
        page.screenshot(path=artifacts / "incidents-list.png", full_page=True)

        rows.nth(0).locator("a").first.click()
        page.wait_for_selector("#ack")
        assert "payments around this time" in page.inner_text("#service-link")
        assert "what happened (correlate)" in page.content()
        page.screenshot(path=artifacts / "incident-detail.png", full_page=True)

        page.click("#ack")
        page.wait_for_selector("h1 .pill-pending")
        assert page.locator("#ack").count() == 0
        page.fill("#silence-form input[name=comment]", "fix on its way")
        page.select_option("#silence-form select[name=duration]", "2h")
        page.click("#silence")
        page.wait_for_selector("text=silenced by bob until")
        # Alertmanager applies the silence within moments: the alert's line then says so
        for _ in range(10):
            if "suppressed by" in page.inner_text(".alert-row"):
                break
            page.wait_for_timeout(500)
            page.reload()
        assert "suppressed by" in page.inner_text(".alert-row")
        page.screenshot(path=artifacts / "incident-silenced.png", full_page=True)

    def state():
        held = httpx.get(f"{private_alertmanager}/api/v2/alerts", params={"filter": 'alertname="BrowserPath"'},
                         timeout=5).json()
        return held[0]["status"]["state"] if held else ""

    assert eventually(lambda: state() == "suppressed", timeout=10, what="alert suppressed by the page's silence")


ACK_LINK = re.compile(r"Acknowledge \(once, no login needed\): http://console\.test(/ack/\S+)")
LONG_SUMMARY = ("payments fails half its card authorisations at the acquirer since the 10:00 deploy of the "
                "fraud-scoring client")


def test_it_fits_the_on_call_pages_on_a_phone(oncall_app, smtp, artifacts):
    inbox, _ = smtp
    paged = alert("phone-1")
    paged["annotations"]["summary"] = LONG_SUMMARY
    client = oncall_app.test_client()
    assert client.post("/api/v1/alertmanager/webhook", json=notification(paged, group_key="phone-group"),
                       headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert notifier(oncall_app).wait_idle(10)
    mail = email.message_from_string(inbox.messages[0].text, policy=email.policy.default)
    ack_path = ACK_LINK.search(mail.get_body(("plain",)).get_content())[1]
    with oncall_app.app_context():
        auth.create_user(store.session(), name="bob", password=PASSWORD, role="operator")
    with serving(oncall_app) as url, browser_page(url, "bob", width=390, height=844) as page:
        for path, shot in (("/", "phone-home"), ("/incidents", "phone-incidents"), ("/incidents/1", "phone-incident"),
                           ("/silences", "phone-silences"), (ack_path, "phone-ack-link")):
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
            page.screenshot(path=artifacts / f"{shot}.png", full_page=True)
        # the list is a card an incident: its summary is read across the card, not down a squeezed column
        page.goto(url + "/incidents")
        summary = page.locator(".incidents tbody tr td.summary")
        assert summary.inner_text() == LONG_SUMMARY
        assert summary.bounding_box()["width"] > 300
        page.goto(url + ack_path)
        page.click(".ack-button")
        page.wait_for_selector("text=Acknowledged")


def test_it_shows_what_others_do_while_the_page_is_open(oncall_app, tokens, artifacts, monkeypatch):
    monkeypatch.setattr("console.web.incidents.REFRESH_SECONDS", 1)
    client = oncall_app.test_client()
    assert client.post("/api/v1/alertmanager/webhook", json=notification(alert("live-1"), group_key="live-group"),
                       headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    with serving(oncall_app) as url, browser_page(url, "bob") as page:
        page.goto(f"{url}/incidents/1")
        page.fill("textarea[name=text]", "half a note, still being typed")
        # meanwhile the incident is taken through the API: the page shows it, the half-typed note stays
        operator = {"Authorization": f"Bearer {tokens['operator']}"}
        assert client.post("/api/v1/incidents/1/ack", headers=operator).status_code == 200
        page.wait_for_selector("#incident-status .pill-pending", timeout=10_000)
        assert page.locator("#ack").count() == 0 and page.locator("#resolve").count() == 1
        page.wait_for_selector(".timeline td.kind:text-is('acknowledged')", timeout=10_000)
        assert page.input_value("textarea[name=text]") == "half a note, still being typed"
        page.screenshot(path=artifacts / "incident-live.png", full_page=True)
