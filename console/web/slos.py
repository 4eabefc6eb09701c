"""The SLO pages: every SLO with its SLI and error budget left over its window, its burn rate over each alert
window and its burn-rate alerts firing now; an SLO's page adds each alert's windows against their thresholds
and the rules it generates. Read-only: SLOs are files, applied with ``opsconsole rules slo apply``."""
from __future__ import annotations

from flask import Blueprint, abort, render_template

from console import auth
from console.rules.slo import ALERTS, render
from console.web import slo_data

bp = Blueprint("slos", __name__)


@bp.app_template_filter("percent")
def percent(value: float | None, digits: int = 2) -> str:
    """A ratio as a percentage, or a dash for none."""
    return "—" if value is None else f"{value * 100:.{digits}f} %"


@bp.get("/slos")
@auth.login_required
def index():
    """Every SLO and where it stands."""
    slos, problem = slo_data.read()
    found = slo_data.report(slos)
    return render_template("slos/index.html", report=found, banner=problem or found.problem,
                           directory=slo_data.slo_directory())


@bp.get("/slos/<name>")
@auth.login_required
def slo(name: str):
    """One SLO: its numbers, its alerts' windows against their thresholds, and its generated rules."""
    slos, problem = slo_data.read()
    chosen = next((s for s in slos if s.name == name), None)
    if chosen is None:
        abort(404, problem or f"no SLO named {name}")
    found = slo_data.report([chosen])
    [(_, status)] = found.statuses
    return render_template("slos/slo.html", slo=chosen, status=status, banner=found.problem, alerts=ALERTS,
                           rules=render(chosen))
