"""Alertmanager API v2: the alerts it holds, and its health."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.backends.base import Health, HttpBackend, probe

NAME = "alertmanager"


@dataclass(frozen=True)
class Alert:
    """One alert as Alertmanager sees it; ``state`` is ``active``, ``suppressed`` or ``unprocessed``."""

    fingerprint: str
    labels: dict[str, str]
    annotations: dict[str, str]
    state: str
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str
    silenced_by: list[str]
    inhibited_by: list[str]

    @property
    def name(self) -> str:
        """The ``alertname`` label."""
        return self.labels.get("alertname", "")


def parse_time(text: str | None) -> datetime | None:
    """An RFC 3339 time from Alertmanager (Go may print nanoseconds; Python keeps microseconds)."""
    if not text:
        return None
    return datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00"))


def parse_alerts(body: Any) -> list[Alert]:
    """Alerts of a ``GET /api/v2/alerts`` answer."""
    return [
        Alert(
            fingerprint=item["fingerprint"],
            labels=item.get("labels", {}),
            annotations=item.get("annotations", {}),
            state=item.get("status", {}).get("state", "unprocessed"),
            starts_at=parse_time(item["startsAt"]),
            ends_at=parse_time(item.get("endsAt")),
            generator_url=item.get("generatorURL", ""),
            silenced_by=item.get("status", {}).get("silencedBy", []),
            inhibited_by=item.get("status", {}).get("inhibitedBy", []),
        )
        for item in body
    ]


class Alertmanager(HttpBackend):
    """An Alertmanager at ``url``."""

    name = NAME

    def health(self) -> Health:
        """Its own ``/-/healthy`` endpoint."""
        return probe(self.name, self.url, self._healthy)

    def _healthy(self) -> str:
        return self._http.request("GET", "/-/healthy").text.strip() or "ok"

    def alerts(self, matchers: Sequence[str] = (), *, silenced: bool = True, inhibited: bool = True) -> list[Alert]:
        """Alerts matching every matcher (``service="gateway"``); silenced and inhibited ones included by default."""
        params = [("filter", m) for m in matchers]
        params += [("silenced", str(silenced).lower()), ("inhibited", str(inhibited).lower())]
        return parse_alerts(self._http.json("GET", "/api/v2/alerts", params=params))
