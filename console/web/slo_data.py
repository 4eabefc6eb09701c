"""What the SLO pages and ``/api/v1/slos`` show: the SLOs of ``SLO_DIR`` and where each stands now, asked of
Prometheus straight from their events (so an SLO shows before its rules are applied, and over its whole
window), every query at once within the backend timeout."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from console.backends import get_backend
from console.correlate.fetch import gather
from console.errors import BackendError, UsageProblem
from console.rules.slo import FAST_BURN, SLOW_BURN, Slo, Status, error_ratio_query, read_slos, status, windows

# the SLOs shipped with the project, where none are configured
SHIPPED = Path(__file__).resolve().parents[2] / "rules" / "slo"


@dataclass
class SloReport:
    """Each SLO's status (None where Prometheus did not answer), and why something is missing."""

    statuses: list[tuple[Slo, Status | None]] = field(default_factory=list)
    problem: str = ""
    failure: Exception | None = None


def slo_directory() -> Path:
    """Where the SLO definitions are: ``SLO_DIR``, else the project's ``rules/slo``."""
    configured = current_app.config.get("SLO_DIR") or ""
    return Path(configured) if configured else SHIPPED


def read() -> tuple[list[Slo], str]:
    """The SLOs, or none and why they could not be read."""
    try:
        return read_slos(slo_directory()), ""
    except UsageProblem as e:
        return [], f"SLO definitions unreadable: {e}"


def report(slos: list[Slo]) -> SloReport:
    """Where each of ``slos`` stands now, with the burn-rate alerts Prometheus has firing for it."""
    if not slos:
        return SloReport()
    prometheus = get_backend("prometheus")
    # each SLO's own window, then the alerts' (the SLO's may be one of them)
    spans = {s.name: list(dict.fromkeys([s.window, *windows()])) for s in slos}
    calls = {(s.name, w): (lambda q=error_ratio_query(s, w): prometheus.query(q)) for s in slos for w in spans[s.name]}
    calls["alerts"] = lambda: prometheus.query(
        f'ALERTS{{alertstate="firing", alertname=~"{FAST_BURN}|{SLOW_BURN}"}}')
    got = gather(calls, timeout=float(current_app.config["BACKEND_TIMEOUT"]))
    firing: dict[str, list[str]] = {}
    if got["alerts"].ok:
        for sample in got["alerts"].value:
            firing.setdefault(sample.labels.get("slo", ""), []).append(sample.labels.get("alertname", ""))
    found = SloReport()
    for s in slos:
        answers = {w: got[(s.name, w)] for w in spans[s.name]}
        failed = next((a for a in answers.values() if not a.ok), None)
        if failed is not None:
            found.problem = f"Prometheus did not answer: {failed.error}"
            found.failure = failed.failure or BackendError("prometheus", failed.error or "no answer")
            found.statuses.append((s, None))
            continue
        readings = {w: a.value[0].value if a.value else None for w, a in answers.items()}
        found.statuses.append((s, status(s, readings, tuple(sorted(firing.get(s.name, []))))))
    return found
