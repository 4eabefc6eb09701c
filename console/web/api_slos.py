"""``/api/v1/slos``: every SLO with its SLI, error budget left, burn rates and firing burn-rate alerts."""
from __future__ import annotations

from pydantic import BaseModel

from console.web import slo_data
from console.web.apiroutes import ApiError, area_blueprint, route

bp = area_blueprint("slos_api")


class SloOut(BaseModel):
    """One SLO and where it stands now; ratios are shares (0.995, not 99.5), None where there were no events."""

    name: str
    service: str
    objective: float
    window: str
    sli: float | None
    budget_left: float | None
    burn_rates: dict[str, float | None]
    firing: list[str]


class SloList(BaseModel):
    """The SLOs of the console's SLO directory."""

    items: list[SloOut]


@route(bp, "GET", "/slos", role="viewer", tag="rules", response=SloList, errors=(503,),
       summary="Every SLO: SLI and error budget left over its window, burn rate over each alert window")
def list_slos():
    """Where each SLO stands; unreadable definitions or Prometheus down are a 503."""
    slos, problem = slo_data.read()
    if problem:
        raise ApiError(503, "slo_definitions", problem)
    found = slo_data.report(slos)
    if found.failure is not None:
        raise found.failure
    return SloList(items=[SloOut(name=s.name, service=s.service, objective=s.objective, window=s.window,
                                 sli=st.sli, budget_left=st.budget_left, burn_rates=st.burn_rates(),
                                 firing=list(st.firing)) for s, st in found.statuses])
