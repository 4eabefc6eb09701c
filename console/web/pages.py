"""HTML pages. Each view renders a full page, or only its partial when htmx asks (``HX-Request``)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, Flask, Response, current_app, g, make_response, render_template, request, url_for

from console import auth, store
from console.alerts import incidents
from console.web.api import probe_backends

bp = Blueprint("pages", __name__)

REFRESH_SECONDS = 5
HOME_INCIDENTS = 5

# the areas in menu order; an area shows up once its blueprint registers "<area>.index"
NAV = (
    ("pages.home", "Home"),
    ("services.index", "Services"),
    ("logs.index", "Logs"),
    ("traces.index", "Traces"),
    ("rules.index", "Rules"),
    ("slos.index", "SLOs"),
    ("incidents.index", "Incidents"),
    ("silences.index", "Silences"),
    ("oncall.index", "On-call"),
    ("scaling.index", "Scaling"),
    ("users.index", "Users"),
    ("audit.index", "Audit"),
)
# areas shown in the menu only to callers holding at least this role
NAV_ROLES = {"users.index": "admin", "audit.index": "admin"}
# a page marks its area in the menu by its blueprint; these blueprints belong to another's area
AREA_OF = {"tokens": "users"}
# the areas whose pages show a time range: the menu takes them the range the page being served was asked for
RANGED = frozenset({"services.index", "logs.index", "traces.index"})


def init_app(app: Flask) -> None:
    """Give every template the menu of the areas that exist."""
    # a function, so that an htmx fragment (no menu) builds none of its links
    app.context_processor(lambda: {"nav_links": nav_links, "nav_current": current_area()})


def nav_links() -> list[tuple[str, str, str]]:
    """The menu: (endpoint, label, link) of every area that exists and the caller may see; a ranged area's link
    keeps the range this page was asked for (``dashboard.request_window``), so the range follows the SRE."""
    window = g.get("asked_window")
    keep = window.query_args() if window is not None else {}
    return [(e, label, url_for(e, **(keep if e in RANGED else {}))) for e, label in NAV
            if e in current_app.view_functions and _may_see(e)]


def current_area() -> str | None:
    """The menu entry of the page being served: its area's (a service's page is under Services), if any."""
    blueprint = AREA_OF.get(request.blueprint, request.blueprint)
    return next((e for e, _ in NAV if e.split(".")[0] == blueprint), None)


def _may_see(endpoint: str) -> bool:
    role = NAV_ROLES.get(endpoint)
    return role is None or current_role_allows(role)


def current_role_allows(role: str) -> bool:
    """Whether whoever is logged in holds at least ``role`` (pages show or hide their buttons by it)."""
    principal = auth.current_principal()
    return principal is not None and auth.role_allows(principal.role, role)


def audit_change(action: str, target: str, result: str, detail: dict | None = None) -> None:
    """Audit a change asked for through a page: by whoever is logged in (nobody, on an ack link), from the
    request's address; the same words as the API's audit lines."""
    auth.record_audit(principal=auth.current_principal(), action=action, target=target, result=result,
                      source=request.remote_addr, detail=detail)


def wants_partial() -> bool:
    """Whether htmx made this request (it then swaps in a fragment, not a page)."""
    return request.headers.get("HX-Request") == "true"


def page_or_partial(page: str, partial: str, **context) -> Response:
    """``page`` rendered, or only ``partial`` when htmx asks; either way marked as varying on ``HX-Request``."""
    response = make_response(render_template(partial if wants_partial() else page, **context))
    # one URL, two bodies: caches (and the back button) must keep them apart
    response.vary.add("HX-Request")
    return response


@bp.get("/")
def home():
    """The incidents nobody has taken yet, then each backend's health and latency; both refresh themselves."""
    results = probe_backends()
    context = {
        "backends": results,
        "down": [h for h in results if not h.healthy],
        "refresh_seconds": REFRESH_SECONDS,
        "checked_at": datetime.now(timezone.utc).strftime("%H:%M:%S UTC"),
    }
    if not wants_partial() and "incidents.index" in current_app.view_functions:
        # what the on-call opening the console needs first; the rest is on the Incidents page
        context["open_incidents"] = incidents.listing(store.session(), status="open", limit=HOME_INCIDENTS)
        context["open_incidents_limit"] = HOME_INCIDENTS
    return page_or_partial("home.html", "partials/backends.html", **context)
