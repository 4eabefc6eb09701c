"""The on-call path with nothing stood in: payments fails half its calls under checkout load, the shop's
high-error-rate rule (created through the console's API, its windows scaled down) fires in the stack's
Prometheus, the stack's Alertmanager, routed to a console served on loopback, sends the group, and the
on-call engineer gets one email (the chart attached, failing-trace links that open) and one chat post."""
from __future__ import annotations

import email
import email.policy
import re
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from sqlalchemy import select

from console import auth, store
from console.alerts import notifier
from console.alerts.models import Incident
from console.rules import target
from console.rules.apply import apply
from deploy.local.alerting import console_token, route_to_console
from kit import eventually, failing_shop, free_port, log_in, serving

from alertkit import oncall_settings

pytestmark = pytest.mark.stack

SHOP_RULES = Path(__file__).parents[2] / "rules" / "alerts" / "shop.yml"


def high_error_rate_rule(marker: str) -> dict:
    """The shop's ShopHighErrorRate as shipped, its 5-minute windows and wait scaled to a test's minute, and
    scoped to payments (orders and the gateway, failing in turn, would join the group a flush later and
    rightly send a second notification)."""
    [group] = yaml.safe_load(SHOP_RULES.read_text())["groups"]
    [shipped] = [rule for rule in group["rules"] if rule["alert"] == "ShopHighErrorRate"]
    assert shipped["expr"].count("http_requests_total{status=~\"5..\"}[5m]") == 1, shipped["expr"]
    assert shipped["expr"].count("http_requests_total[5m]") == 1 and shipped["for"] == "5m", shipped
    expr = (shipped["expr"].replace('{status=~"5.."}', '{service="payments",status=~"5.."}')
            .replace("http_requests_total[", 'http_requests_total{service="payments"}[')
            # a minute's window: orders' circuit breaker leaves payments without calls for seconds at a time
            .replace("[5m]", "[1m]"))
    return {"group": "outage", "alert": shipped["alert"], "expr": expr,
            "for": "6s", "labels": {**shipped["labels"], "test_run": marker},
            "annotations": {**shipped["annotations"], "description": "checkouts fail while payments errors"}}


@pytest.fixture
def alertmanager_routed_to(stack):
    """Routes the session's Alertmanager to a console URL; its own configuration comes back afterwards."""
    config = stack.layout.config / "alertmanager" / "alertmanager.yml"
    original = config.read_text()

    def route(console_url: str) -> None:
        route_to_console(stack.layout, stack.ports, console_url, group_wait="1s", group_interval="2s",
                         repeat_interval="1h")

    yield route
    config.write_text(original)
    httpx.post(f"{stack.alertmanager_url}/-/reload", timeout=10).raise_for_status()


def firing(prometheus_url: str, marker: str) -> list[dict]:
    alerts = httpx.get(f"{prometheus_url}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
    return [a for a in alerts if a["labels"].get("test_run") == marker and a["state"] == "firing"]


def test_payments_failing_half_its_calls_pages_once_by_email_and_chat(stack, backend_urls, make_console, smtp, chat,
                                                                    alertmanager_routed_to):
    inbox, _ = smtp
    marker = uuid.uuid4().hex[:12]
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    app = make_console(**{**oncall_settings(smtp, chat, token=console_token(stack.layout)), **backend_urls,
                          "PUBLIC_URL": public, "BACKEND_TIMEOUT": 5})
    with app.app_context():
        operator = {"Authorization": "Bearer " + auth.create_token(store.session(), role="operator", name="ops")[0]}
    with serving(app, port) as console_url, failing_shop(stack, error_rate=0.5, seconds=150):
        alertmanager_routed_to(console_url)
        created = app.test_client().post("/api/v1/rules", json=high_error_rate_rule(marker), headers=operator)
        assert created.status_code == 201, created.json
        try:
            faulted = time.time()
            [alert] = eventually(lambda: firing(stack.prometheus_url, marker), timeout=120, interval=0.5,
                                 what="the rule firing in Prometheus")
            assert alert["labels"]["service"] == "payments"
            fired = time.time()

            def ours() -> list[Incident]:
                with app.app_context():
                    return [i for i in store.session().scalars(select(Incident)) if i.labels.get("test_run") == marker]

            def mails_of(incident: Incident) -> list:
                return [m for m in inbox.messages if f"{public}/incidents/{incident.id}" in m.text]

            [incident] = eventually(ours, timeout=60, interval=0.2, what="the incident")
            [mail] = eventually(lambda: mails_of(incident), timeout=30, interval=0.05, what="the email")
            received = incident.opened_at.timestamp()
            print(f"\noutage: fault -> rule firing in Prometheus {fired - faulted:.1f} s; Alertmanager's send"
                  f" (webhook received) -> email accepted {(mail.at - received) * 1000:.0f} ms;"
                  f" rule firing -> email accepted {mail.at - fired:.1f} s")

            message = email.message_from_string(mail.text, policy=email.policy.default)
            # (a long subject is folded onto the next line, which leaves a space ahead once unfolded)
            assert message["Subject"].strip().startswith("[FIRING:1] payments answers "), message["Subject"]
            [chart] = [part for part in message.iter_attachments() if part.get_content_type() == "image/png"]
            assert chart.get_content()[:4] == b"\x89PNG"
            text = message.get_body(("plain",)).get_content()
            links = re.findall(rf"{re.escape(public)}/traces/([0-9a-f]{{32}})", text)
            assert links, text
            viewer = log_in(app)
            for trace_id in links:
                page = viewer.get(urlsplit(f"{public}/traces/{trace_id}").path)
                assert page.status_code == 200 and trace_id in page.get_data(as_text=True)

            # one chat post for the incident, and nothing more once Alertmanager's group has been flushed again
            eventually(lambda: [p for p in chat.posts if f"/incidents/{incident.id}" in p["text"]], timeout=10,
                       interval=0.05, what="the chat post")
            time.sleep(5)  # two more group_interval flushes
            assert notifier(app).wait_idle(10)
            assert len(ours()) == 1 and len(mails_of(incident)) == 1
            assert len([p for p in chat.posts if f"/incidents/{incident.id}" in p["text"]]) == 1
        finally:
            with app.app_context():
                t = target()
                apply([], t.rules_directory(), t.api)
