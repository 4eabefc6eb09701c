"""An incident as Markdown to start its postmortem from: what fired, who answered and how fast, the timeline."""
from __future__ import annotations

from datetime import datetime, timedelta

from console.alerts.models import Incident

__all__ = ["elapsed", "timeline_markdown"]


def elapsed(since: datetime, until: datetime) -> str:
    """A duration as people write it in a report: "45 s", "4 min 12 s", "2 h 5 min", "3 d 1 h"."""
    seconds = max(0, round((until - since) / timedelta(seconds=1)))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    shown = [(n, unit) for n, unit in parts if n][:2] or [(0, "s")]
    return " ".join(f"{n} {unit}" for n, unit in shown)


def _cell(text: str) -> str:
    # a table cell is one line, and a pipe would end it
    return " ".join(str(text).split()).replace("|", "\\|")


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S} UTC"


def timeline_markdown(incident: Incident, *, link: str = "") -> str:
    """``incident`` as Markdown: its facts (time to acknowledge and to resolve among them), its alerts with their
    runbooks, and every line of its timeline; ``link`` is the incident's page."""
    i = incident
    lines = [f"# Incident #{i.id}: {i.summary or i.labels.get('alertname', '')}", ""]
    facts = [("Status", i.status), ("Severity", i.severity or "–"), ("Service", i.service or "–"),
             ("Opened", _when(i.opened_at))]
    if i.acknowledged_at:
        facts.append(("Acknowledged", f"{_when(i.acknowledged_at)} by {i.acknowledged_by or '–'}, "
                                      f"{elapsed(i.opened_at, i.acknowledged_at)} after it opened"))
    if i.resolved_at:
        facts.append(("Resolved", f"{_when(i.resolved_at)} by {i.resolved_by or '–'}, "
                                  f"{elapsed(i.opened_at, i.resolved_at)} after it opened"))
    if link:
        facts.append(("In the console", link))
    lines += [f"- **{name}**: {value}" for name, value in facts]
    lines += ["", "## Alerts", ""]
    for a in i.alerts:
        text = " — ".join(t for t in (a.annotations.get("summary", ""), a.annotations.get("description", "")) if t)
        lines.append(f"- **{a.labels.get('alertname', a.fingerprint)}** {a.status}, since {_when(a.starts_at)}"
                     + (f": {text}" if text else ""))
        if a.runbook_url:
            lines.append(f"  - runbook: {a.runbook_url}")
    lines += ["", "## Timeline", "", "| time (UTC) | what | who | detail |", "|---|---|---|---|"]
    lines += [f"| {e.at:%Y-%m-%d %H:%M:%S} | {e.kind} | {_cell(e.actor)} | {_cell(e.text)} |" for e in i.events]
    return "\n".join(lines) + "\n"
