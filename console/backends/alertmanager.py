"""Alertmanager API v2: the alerts it holds, its silences, and its health."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from console.backends.base import Health, HttpBackend, probe
from console.errors import BackendError

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


@dataclass(frozen=True)
class Matcher:
    """One label matcher of a silence, as Alertmanager spells it."""

    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True

    def as_dict(self) -> dict[str, Any]:
        """The matcher in Alertmanager's JSON."""
        return {"name": self.name, "value": self.value, "isRegex": self.is_regex, "isEqual": self.is_equal}


@dataclass(frozen=True)
class Silence:
    """A silence; ``state`` is ``active``, ``pending`` or ``expired``."""

    id: str
    matchers: list[Matcher]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    state: str


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


def parse_silences(body: Any) -> list[Silence]:
    """Silences of a ``GET /api/v2/silences`` answer."""
    return [
        Silence(
            id=item["id"],
            matchers=[Matcher(m["name"], m["value"], bool(m.get("isRegex")), bool(m.get("isEqual", True)))
                      for m in item.get("matchers", [])],
            starts_at=parse_time(item["startsAt"]),
            ends_at=parse_time(item["endsAt"]),
            created_by=item.get("createdBy", ""),
            comment=item.get("comment", ""),
            state=item.get("status", {}).get("state", ""),
        )
        for item in body
    ]


def _rfc3339(at: datetime) -> str:
    # Alertmanager wants an offset; a naive time from our store is UTC
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).isoformat()


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

    def create_silence(self, matchers: Sequence[Matcher], starts: datetime, ends: datetime, created_by: str,
                       comment: str) -> str:
        """Create a silence and answer its id."""
        body = {"matchers": [m.as_dict() for m in matchers], "startsAt": _rfc3339(starts), "endsAt": _rfc3339(ends),
                "createdBy": created_by, "comment": comment}
        response = self._http.request("POST", "/api/v2/silences", json=body)
        try:
            return str(response.json()["silenceID"])
        except (ValueError, KeyError, TypeError) as e:
            raise BackendError(self.name, f"{self.url}/api/v2/silences: answer has no silenceID") from e

    def silences(self) -> list[Silence]:
        """Every silence Alertmanager keeps, expired ones included."""
        return parse_silences(self._http.json("GET", "/api/v2/silences"))

    def expire_silence(self, silence_id: str) -> None:
        """Expire the silence now; a ``BackendError`` with status 404 when Alertmanager does not know it."""
        self._http.request("DELETE", f"/api/v2/silence/{quote(silence_id, safe='')}")
