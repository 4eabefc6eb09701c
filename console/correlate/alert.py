"""Which service and window an alert's "what happened" covers (pure): its ``service`` label, around its own time."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from console.backends.alertmanager import Alert
from console.correlate.window import Window
from console.errors import UsageProblem

FINGERPRINT = re.compile(r"^[0-9a-f]{16}$")
# before an alert starts, the trouble has already been building for its `for` and a few evaluations
LEAD = timedelta(minutes=15)
# after it ends, long enough to see the recovery
TRAIL = timedelta(minutes=5)


class AlertNotFound(LookupError):
    """No alert held by Alertmanager answers to the reference."""

    def __init__(self, ref: str):
        super().__init__(f"Alertmanager holds no alert {ref!r}")
        self.ref = ref


def find_alert(alerts: list[Alert], ref: str) -> Alert:
    """The alert whose fingerprint is ``ref``, else the newest one named ``ref``; ``AlertNotFound`` otherwise."""
    if FINGERPRINT.match(ref):
        for alert in alerts:
            if alert.fingerprint == ref:
                return alert
    named = [a for a in alerts if a.name == ref]
    if not named:
        raise AlertNotFound(ref)
    return max(named, key=lambda a: (a.starts_at, a.fingerprint))


def alert_window(alert: Alert, now: datetime) -> tuple[str, Window]:
    """The alert's service and the window from a little before it started to now (or a little after it ended)."""
    service = alert.labels.get("service")
    if not service:
        raise UsageProblem(f"alert {alert.name or alert.fingerprint} carries no service label to correlate on")
    ended = alert.ends_at is not None and alert.ends_at < now
    end = min(now, alert.ends_at + TRAIL) if ended else now
    return service, Window(alert.starts_at - LEAD, end)
