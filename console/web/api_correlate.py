"""``/api/v1/correlate``: what happened to a service in a window, or around one trace."""
from __future__ import annotations

from pydantic import ConfigDict, Field, model_validator

from console.correlate.alert import AlertNotFound
from console.errors import UsageProblem
from console.rules.model import ALERT_NAME
from console.web import dashboard_data as data
from console.web.apiroutes import ApiError, area_blueprint, route
from console.web.dashboard_models import NAME, TRACE_ID, ReportOut, WindowQuery, report_out

bp = area_blueprint("correlate_api")

ALERT_REF = rf"^([0-9a-f]{{16}}|{ALERT_NAME.strip('^$')})$"  # a fingerprint, or an alert name


class CorrelateQuery(WindowQuery):
    """A ``service`` and a window; or a ``trace_id``: its root service around the trace's own time; or an
    ``alert`` (a fingerprint or an alert name) held by Alertmanager: its ``service`` label around its own time."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"service": "payments", "range": "1h"}]})

    service: str | None = Field(default=None, pattern=NAME)
    trace_id: str | None = Field(default=None, pattern=TRACE_ID)
    alert: str | None = Field(default=None, pattern=ALERT_REF, max_length=128)

    @model_validator(mode="after")
    def _one_subject(self):
        if sum(v is not None for v in (self.service, self.trace_id, self.alert)) != 1:
            raise ValueError("give exactly one of service, trace_id or alert")
        return self


@route(bp, "GET", "/correlate", role="viewer", tag="dashboard", query=CorrelateQuery, response=ReportOut,
       errors=(400, 404, 422, 502, 503), summary="What happened: RED now vs before, top errors, exemplar, slowest and "
                                            "failing traces, their logs, rule changes and scale actions")
def correlate(query: CorrelateQuery):
    """The report; each section carries its own error when its backend failed."""
    if query.service:
        return report_out(data.service_report(query.service, query.window(data.now())))
    if query.range or query.start or query.end:
        raise UsageProblem(f"with {'alert' if query.alert else 'trace_id'} the window is its own: "
                           "leave range, start and end out")
    if query.alert:
        try:
            service, window = data.alert_subject(query.alert)
        except AlertNotFound as e:
            raise ApiError(404, "not_found", str(e)) from e
        except UsageProblem as e:
            raise ApiError(422, "unprocessable", str(e)) from e
        return report_out(data.service_report(service, window))
    detail = data.trace(query.trace_id)
    if detail.trace_error:
        raise ApiError(503, "backend_unavailable", detail.trace_error)
    window = data.trace_window(detail, data.now())
    if window is None:
        raise ApiError(404, "not_found", f"Jaeger holds no trace {detail.trace_id}")
    root = min(detail.trace.spans, key=lambda s: s.start_us)
    return report_out(data.service_report(root.service, window))
