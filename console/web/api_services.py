"""``/api/v1/services``: every service's rate, errors, latency and replicas over a window, worst first."""
from __future__ import annotations

from pydantic import BaseModel

from console.web import dashboard_data as data
from console.web.apiroutes import area_blueprint, route
from console.web.dashboard_models import RedOut, WindowOut, WindowQuery, red_out, window_out

bp = area_blueprint("services_api")


class ServiceList(BaseModel):
    """Per service RED and replicas, the worst first (own 5xx ratio, then all 5xx, then p99)."""

    window: WindowOut
    services: list[RedOut]


@route(bp, "GET", "/services", role="viewer", tag="dashboard", query=WindowQuery, response=ServiceList,
       errors=(400, 502, 503), summary="Per service: request rate, error ratio, p50/p95/p99 latency, replicas")
def list_services(query: WindowQuery):
    """Every service's RED over the window; Prometheus down is a 503."""
    found = data.services_overview(query.window(data.now()))
    if found.failure is not None:
        raise found.failure
    return ServiceList(window=window_out(found.window), services=[red_out(r) for r in found.services])
