"""An alert's annotations as the on-call person gets them: the runbook linked on the page and in every
message, other annotations listed, and nothing but an http(s) URL ever made a link."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from console.alerts.models import Incident, IncidentAlert, web_link
from console.alerts.notify.pipeline import compose


@pytest.mark.parametrize("value, link", [
    pytest.param("https://wiki.example/runbooks/payments", "https://wiki.example/runbooks/payments", id="https"),
    pytest.param(" http://wiki:8080/r?x=1#a ", "http://wiki:8080/r?x=1#a", id="http, spaces trimmed"),
    pytest.param("javascript:alert(1)", None, id="script"),
    pytest.param("JavaScript://%0aalert(1)", None, id="script with slashes"),
    pytest.param("data:text/html,<b>x</b>", None, id="data"),
    pytest.param("/runbooks/payments", None, id="relative path"),
    pytest.param("http:///no-host", None, id="no host"),
    pytest.param("http://[::1", None, id="unparsable"),
    pytest.param("check the service's logs", None, id="plain text"),
    pytest.param("", None, id="empty"),
])
def test_it_links_only_web_urls(value, link):
    assert web_link(value) == link


def alert(**annotations: str) -> IncidentAlert:
    return IncidentAlert(fingerprint="f1", status="firing", starts_at=datetime(2026, 12, 4, 10, tzinfo=UTC),
                         labels={"alertname": "PaymentsErrors"}, generator_url="",
                         annotations={"summary": "payments fails", **annotations})


def test_it_names_the_runbook_of_each_alert_in_the_message():
    incident = Incident(id=7, status="open", severity="page", service="payments", summary="payments fails",
                        alerts=[alert(runbook_url="https://wiki.example/runbooks/payments"),
                                alert(runbook_url="javascript:alert(1)")])
    text = compose(incident).text
    assert "  Runbook: https://wiki.example/runbooks/payments\n" in text
    assert text.count("Runbook:") == 1


def test_it_lists_the_annotations_the_page_has_no_place_for():
    shown = alert(description="ratio 0.3", runbook_url="https://wiki.example/r", dashboard="https://grafana.example/d",
                  team="payments").other_annotations()
    assert shown == [("dashboard", "https://grafana.example/d", "https://grafana.example/d"),
                     ("team", "payments", None)]
    # a runbook that is no link stays readable as text
    assert alert(runbook_url="see the wiki").other_annotations() == [("runbook_url", "see the wiki", None)]
