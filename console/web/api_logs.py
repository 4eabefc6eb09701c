"""``/api/v1/logs``: log lines by text, service, level and trace over a window, with counts over time.

The text goes to Elasticsearch only inside a ``simple_query_string`` on ``message``, never as query DSL.
"""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from console.web import dashboard_data as data
from console.web.apiroutes import area_blueprint, route
from console.web.dashboard_models import NAME, TRACE_ID, LogOut, WindowOut, WindowQuery, log_out, window_out

bp = area_blueprint("logs_api")


class LogsQuery(WindowQuery):
    """Which lines: free text (simple query syntax), exact service, level and trace id, at most ``limit``."""

    q: str | None = Field(default=None, max_length=500)
    service: str | None = Field(default=None, pattern=NAME)
    level: str | None = Field(default=None, pattern=NAME)
    trace_id: str | None = Field(default=None, pattern=TRACE_ID)
    limit: int = Field(default=100, ge=1, le=1000)

    def criteria(self) -> dict:
        """The search criteria, as ``search_logs`` takes them."""
        trace_id = self.trace_id.lower().rjust(32, "0") if self.trace_id else None
        return {"text": self.q or None, "service": self.service, "level": self.level, "trace_id": trace_id}


class Bucket(BaseModel):
    """How many matching lines fell in the interval starting at ``start``."""

    start: datetime
    count: int


class LogsOut(BaseModel):
    """Matching lines newest first, and the counts over the window (empty if that query failed)."""

    window: WindowOut
    items: list[LogOut]
    histogram: list[Bucket]
    interval_s: int = Field(description="the width of each histogram bucket, in seconds")


@route(bp, "GET", "/logs", role="viewer", tag="dashboard", query=LogsQuery, response=LogsOut,
       errors=(400, 502, 503), summary="Log lines by text, service, level and trace id over a window")
def list_logs(query: LogsQuery):
    """Matching lines and their histogram; Elasticsearch down is a 503."""
    window = query.window(data.now())
    found = data.search_logs(window, limit=query.limit, **query.criteria())
    if found.failure is not None:
        raise found.failure
    return LogsOut(window=window_out(window), items=[log_out(line) for line in found.lines],
                   histogram=[Bucket(start=t, count=n) for t, n in found.histogram], interval_s=found.interval_s)
