"""The JSON API under ``/api/v1``. Errors there are always ``{error, detail}`` JSON, never HTML."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

from console.backends import Health, get_backends, probe_all
from console.errors import BackendError, BackendUnavailable, UsageProblem
from console.telemetry import record_probes

log = logging.getLogger(__name__)

PREFIX = "/api/v1"

bp = Blueprint("api", __name__, url_prefix=PREFIX)


def error_response(status: int, error: str, detail: str):
    """The API's error envelope."""
    return jsonify(error=error, detail=detail), status


def probe_backends() -> list[Health]:
    """Probe every backend of the current app concurrently and record the outcome in the metrics."""
    timeout = current_app.config["BACKEND_TIMEOUT"]
    # a little over the client timeout, so a slow backend reports its own timeout first
    results = probe_all(get_backends(), timeout=timeout + 0.5)
    record_probes(results)
    return results


@bp.get("/health")
def health():
    """Each backend's reachability and probe latency."""
    results = probe_backends()
    return jsonify(healthy=all(h.healthy for h in results), backends=[h.as_dict() for h in results])


@bp.errorhandler(BackendUnavailable)
def backend_unavailable(e: BackendUnavailable):
    """A backend we need is down: 503."""
    return error_response(503, "backend_unavailable", str(e))


@bp.errorhandler(BackendError)
def backend_error(e: BackendError):
    """A backend answered with an error: 502."""
    return error_response(502, "backend_error", str(e))


@bp.errorhandler(UsageProblem)
def bad_request(e: UsageProblem):
    """Bad input in the request: 400."""
    return error_response(400, "bad_request", str(e))


# app-wide, because a 404 for an unknown path under /api/v1 never reaches the blueprint
@bp.app_errorhandler(HTTPException)
def http_error(e: HTTPException):
    """JSON for HTTP errors under ``/api/v1``; the default page elsewhere."""
    if not request.path.startswith(PREFIX):
        return e
    if isinstance(e, InternalServerError):
        if e.original_exception is not None:
            log.error("unhandled error on %s", request.path, exc_info=e.original_exception)
        return error_response(500, "internal", "the console failed to answer; see its log")
    body, status = error_response(e.code or 500, (e.name or "error").lower().replace(" ", "_"), e.description or "")
    # keep headers such as Allow (405) and Retry-After (429, 503)
    for name, value in e.get_headers():
        if name.lower() != "content-type":
            body.headers[name] = value
    return body, status
