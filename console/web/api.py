"""The JSON API under ``/api/v1``. Errors there are always ``{error, detail}`` JSON, never HTML.

This blueprint mounts the area blueprints (tokens, users, audit, docs) and owns the error
handlers for all of them; endpoints are declared through ``console.web.apiroutes.route``.
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, request
from pydantic import BaseModel
from werkzeug.exceptions import HTTPException, InternalServerError

from console import auth
from console.backends import Health, get_backends, probe_all
from console.errors import BackendError, BackendUnavailable, Conflict, UsageProblem
from console.telemetry import record_probes
from console.web import (api_audit, api_correlate, api_docs, api_incidents, api_logs, api_rules, api_scale,
                         api_scaling_backtest, api_services, api_silences, api_slos, api_tokens, api_traces, api_users)
from console.web.apiroutes import PREFIX, ApiError, Role, current_principal, error_response, route
from console.web.error_page import error_page

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix=PREFIX)
auth.csrf.exempt(bp)


class BackendHealth(BaseModel):
    """One backend's last probe."""

    name: str
    url: str
    healthy: bool
    latency_ms: float | None
    detail: str


class HealthReport(BaseModel):
    """Every backend's reachability; ``healthy`` when all answer."""

    healthy: bool
    backends: list[BackendHealth]


class Me(BaseModel):
    """The caller as the console sees it."""

    name: str
    role: Role
    via: str


def probe_backends() -> list[Health]:
    """Probe every backend of the current app concurrently and record the outcome in the metrics."""
    timeout = current_app.config["BACKEND_TIMEOUT"]
    # a little over the client timeout, so a slow backend reports its own timeout first
    results = probe_all(get_backends(), timeout=timeout + 0.5)
    record_probes(results)
    return results


@route(bp, "GET", "/health", role="viewer", tag="system", response=HealthReport,
       summary="Each backend's reachability and probe latency")
def health():
    """Each backend's reachability and probe latency."""
    results = probe_backends()
    return HealthReport(healthy=all(h.healthy for h in results), backends=[h.as_dict() for h in results])


@route(bp, "GET", "/me", role="viewer", tag="system", response=Me,
       summary="Who the caller is: name, role and how they authenticated")
def me():
    """The calling user or token: name, role and ``via`` (session or token)."""
    principal = current_principal()
    return Me(name=principal.name, role=principal.role, via=principal.via)


for area in (api_tokens.bp, api_users.bp, api_audit.bp, api_docs.bp, api_rules.bp, api_services.bp, api_traces.bp,
             api_logs.bp, api_correlate.bp, api_scale.bp, api_scaling_backtest.bp, api_incidents.bp, api_silences.bp,
             api_slos.bp):
    bp.register_blueprint(area)


@bp.errorhandler(ApiError)
def api_error(e: ApiError):
    """A refusal decided by the API layer: its own status and envelope."""
    return error_response(e.status, e.error, e.detail, e.headers)


@bp.errorhandler(BackendUnavailable)
def backend_unavailable(e: BackendUnavailable):
    """A backend we need is down: 503."""
    return error_response(503, "backend_unavailable", str(e))


@bp.errorhandler(BackendError)
def backend_error(e: BackendError):
    """A backend answered with an error: 502."""
    return error_response(502, "backend_error", str(e))


@bp.errorhandler(Conflict)
def conflict(e: Conflict):
    """What was to be created already exists: 409."""
    return error_response(409, "conflict", str(e))


@bp.errorhandler(UsageProblem)
def bad_request(e: UsageProblem):
    """Bad input in the request: 400."""
    return error_response(400, "bad_request", str(e))


# app-wide, because a 404 for an unknown path under /api/v1 never reaches the blueprint
@bp.app_errorhandler(HTTPException)
def http_error(e: HTTPException):
    """JSON for HTTP errors under ``/api/v1``; a page of the console elsewhere."""
    if not request.path.startswith(PREFIX):
        return error_page(e)
    if isinstance(e, InternalServerError):
        if e.original_exception is not None:
            log.error("unhandled error on %s", request.path, exc_info=e.original_exception)
        return error_response(500, "internal", "the console failed to answer; see its log")
    # keep headers such as Allow (405) and Retry-After (429, 503)
    headers = {name: value for name, value in e.get_headers() if name.lower() != "content-type"}
    return error_response(e.code or 500, (e.name or "error").lower().replace(" ", "_"), e.description or "", headers)
