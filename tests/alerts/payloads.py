"""Alertmanager webhook payloads (version 4) as Alertmanager 0.25 sends them."""
from __future__ import annotations

import copy

GROUP_KEY = '{}:{alertname="HighErrorRate"}'


def alert(fingerprint: str, *, status: str = "firing", service: str = "payments", severity: str = "critical") -> dict:
    """One alert of a notification."""
    return {
        "status": status,
        "labels": {"alertname": "HighErrorRate", "service": service, "severity": severity},
        "annotations": {"summary": f"{service} fails half its requests", "description": "error ratio 0.5 > 0.05"},
        "startsAt": "2026-12-01T10:00:00.123456789Z",
        "endsAt": "2026-12-01T10:05:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=x",
        "fingerprint": fingerprint,
    }


def notification(*alerts: dict, group_key: str = GROUP_KEY) -> dict:
    """A notification of ``alerts`` (default: one firing alert), its status derived as Alertmanager does."""
    alerts = alerts or (alert("a1"),)
    firing = any(a["status"] == "firing" for a in alerts)
    return copy.deepcopy({
        "version": "4", "groupKey": group_key, "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved", "receiver": "opsconsole",
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": {"alertname": "HighErrorRate", "severity": alerts[0]["labels"]["severity"]},
        "commonAnnotations": {}, "externalURL": "http://127.0.0.1:9093", "alerts": list(alerts),
    })
