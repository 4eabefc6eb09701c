"""An incident as Markdown for its postmortem: the facts with how fast it was answered, its alerts, the timeline."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.alerts.models import Incident, IncidentAlert, IncidentEvent
from console.alerts.postmortem import elapsed, timeline_markdown

OPENED = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("seconds, said", [
    (0, "0 s"), (45, "45 s"), (60, "1 min"), (252, "4 min 12 s"), (3600 * 2 + 300 + 9, "2 h 5 min"),
    (86400 * 3 + 3600 + 5, "3 d 1 h"), (-5, "0 s"),
])
def test_it_writes_durations_as_people_do(seconds, said):
    assert elapsed(OPENED, OPENED + timedelta(seconds=seconds)) == said


def incident() -> Incident:
    at = lambda minutes: OPENED + timedelta(minutes=minutes)  # noqa: E731
    return Incident(
        id=12, status="resolved", severity="page", service="payments", summary="payments fails half its requests",
        labels={"alertname": "PaymentsErrors"}, opened_at=OPENED, acknowledged_at=at(4.2), acknowledged_by="bob",
        resolved_at=at(63), resolved_by="alertmanager",
        alerts=[IncidentAlert(fingerprint="f1", status="resolved", starts_at=at(-2), labels={"alertname": "PaymentsErrors"},
                              annotations={"summary": "payments fails", "description": "ratio 0.5 > 0.05",
                                           "runbook_url": "https://wiki.example/r/payments"}, generator_url="")],
        events=[IncidentEvent(at=OPENED, kind="received", actor="alertmanager", text=""),
                IncidentEvent(at=at(4.2), kind="acknowledged", actor="bob", text=""),
                IncidentEvent(at=at(10), kind="note", actor="bob", text="rolled back | deploy 41\nwatching"),
                IncidentEvent(at=at(63), kind="resolved", actor="alertmanager", text="every alert resolved")])


def test_it_gives_the_facts_alerts_and_timeline():
    text = timeline_markdown(incident(), link="https://ops.example/incidents/12")
    assert text.startswith("# Incident #12: payments fails half its requests\n")
    assert "- **Acknowledged**: 2026-12-04 10:04:12 UTC by bob, 4 min 12 s after it opened\n" in text
    assert "- **Resolved**: 2026-12-04 11:03:00 UTC by alertmanager, 1 h 3 min after it opened\n" in text
    assert "- **In the console**: https://ops.example/incidents/12\n" in text
    assert ("- **PaymentsErrors** resolved, since 2026-12-04 09:58:00 UTC: payments fails — ratio 0.5 > 0.05\n"
            "  - runbook: https://wiki.example/r/payments\n") in text
    # a note's pipe and line break stay inside its cell
    assert "| 2026-12-04 10:10:00 | note | bob | rolled back \\| deploy 41 watching |\n" in text
    assert text.count("\n| 2026-12-04") == 4


def test_it_leaves_out_what_has_not_happened():
    open_one = incident()
    open_one.status, open_one.acknowledged_at, open_one.resolved_at = "open", None, None
    text = timeline_markdown(open_one)
    assert "Acknowledged" not in text and "Resolved" not in text and "In the console" not in text
