"""The ``/api/v1`` route table: every endpoint declared once, with its role and its models.

``@route(bp, "POST", "/tokens", role="admin", body=TokenCreate, response=TokenCreated, status=201)``
registers the Flask view and a ``Route`` in ``TABLE``. The view receives the validated
``body`` / ``query`` models as keyword arguments and returns a response model (or a model and
a status); authentication, the role check, CSRF for browser sessions, the audit record of
mutating calls and the error envelope all happen here, so a view cannot forget them. The
OpenAPI document (``console.web.openapi``) is generated from the same table.
"""
from __future__ import annotations

import functools
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from flask import Blueprint, Response, current_app, g, request
from flask_wtf.csrf import validate_csrf
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from wtforms import ValidationError as CsrfInvalid

from console import auth
from console.errors import Conflict, UsageProblem

PREFIX = "/api/v1"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Role = Literal[auth.ROLES]  # type: ignore[valid-type]  # the roles are data; pydantic takes the tuple


class ErrorEnvelope(BaseModel):
    """Every API error: a short machine-readable code and a human or structured detail."""

    error: str
    detail: str | list[dict[str, Any]]


class ApiError(Exception):
    """An API failure with its status, error code and detail; rendered as the envelope."""

    def __init__(self, status: int, error: str, detail: str | list, *, headers: dict[str, str] | None = None):
        super().__init__(f"{status} {error}: {detail}")
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = headers or {}


@dataclass(frozen=True)
class Route:
    """One declared endpoint: what it needs and what it takes and gives."""

    method: str
    path: str  # the Flask rule, with the /api/v1 prefix
    role: str | None  # None for public endpoints and for those a shared token guards
    summary: str
    tags: tuple[str, ...]
    action: str  # the audit log's name for the call
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    media_type: str = "application/json"
    # a machine caller's endpoint: the config key of the bearer token it must send (not a user token)
    token: str | None = None
    # the config key of the largest body taken (413 beyond), and the status of a body that fails validation
    max_bytes: str | None = None
    invalid_status: int = 422

    @property
    def public(self) -> bool:
        """Whether the endpoint answers without credentials."""
        return self.role is None and self.token is None

    @property
    def mutating(self) -> bool:
        """Whether the call changes state (and is therefore audited and CSRF-checked)."""
        return self.method in MUTATING


TABLE: list[Route] = []


def route(
    bp: Blueprint, method: str, path: str, *, summary: str, role: str | None = None, public: bool = False,
    body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None, status: int = 200, errors: tuple[int, ...] = (),
    media_type: str = "application/json", tag: str | None = None, token: str | None = None,
    max_bytes: str | None = None, invalid_status: int = 422,
) -> Callable:
    """Declare an endpoint of ``bp`` (``/api/v1`` or an area blueprint mounted on it) and register its view.

    ``token="CONFIG_KEY"`` instead of a role guards a machine caller's endpoint with a shared bearer token.
    """
    if [public, role is not None, token is not None].count(True) != 1:
        raise ValueError(f"{method} {path}: declare exactly one of role=..., token=... or public=True")
    if role is not None and role not in auth.ROLES:
        raise ValueError(f"{method} {path}: unknown role {role!r}")

    def decorate(view: Callable) -> Callable:
        spec = Route(
            method=method, path=PREFIX + path, role=role, summary=summary, tags=(tag or bp.name,),
            action=f"{bp.name}.{view.__name__}", body=body, query=query, response=response,
            status=status, errors=errors, media_type=media_type, token=token, max_bytes=max_bytes,
            invalid_status=invalid_status,
        )
        if any((r.method, r.path) == (spec.method, spec.path) for r in TABLE):
            raise ValueError(f"{method} {spec.path} is declared twice")

        @functools.wraps(view)
        def handler(**path_args: Any) -> Response:
            return _serve(spec, view, path_args)

        bp.add_url_rule(path, view_func=handler, methods=[method])
        TABLE.append(spec)
        return view

    return decorate


def current_principal() -> auth.Principal:
    """Who is calling the current (non-public) endpoint."""
    return g.api_principal


def audit_target(target: str, detail: dict | None = None) -> None:
    """Name what the current mutating call acts on, for its audit record (default: the path)."""
    g.api_audit = (target, detail)


def audit_within(db: Session, target: str, detail: dict | None = None) -> None:
    """Add the current call's audit line to ``db``, to commit with the change it records (one write, not two);
    should the call then fail, the failure is audited as usual."""
    db.add(auth.audit_entry(principal=g.get("api_principal"), action=g.api_action, target=target,
                            result="ok", source=request.remote_addr, detail=detail))
    g.api_audit_skip = True


def audit_skip() -> None:
    """Leave the current successful call out of the audit log: it changed nothing (a machine's repeat)."""
    g.api_audit_skip = True


def area_blueprint(name: str) -> Blueprint:
    """A blueprint for one API area; mounted on the ``/api/v1`` blueprint, exempt from form CSRF."""
    bp = Blueprint(name, __name__)
    # the API checks X-CSRFToken itself, and only for session callers: bearer clients have no form
    auth.csrf.exempt(bp)
    return bp


def error_response(status: int, error: str, detail: str | list, headers: dict[str, str] | None = None) -> Response:
    """The API's error envelope as a response."""
    body = ErrorEnvelope(error=error, detail=detail).model_dump_json()
    return current_app.response_class(body, status, headers=headers, mimetype="application/json")


def _serve(spec: Route, view: Callable, path_args: dict[str, Any]) -> Response:
    g.api_principal, g.api_action = None, spec.action
    try:
        if spec.token is not None:
            _authorize_shared(spec.token)
        elif not spec.public:
            _authorize(spec)
        if spec.max_bytes is not None:
            # reading more than this raises RequestEntityTooLarge: a 413 in the envelope
            request.max_content_length = int(current_app.config[spec.max_bytes])
        kwargs = dict(path_args)
        if spec.query is not None:
            kwargs["query"] = _validated(spec.query, request.args.to_dict())
        if spec.body is not None:
            kwargs["body"] = _validated(spec.body, _json_body(), status=spec.invalid_status)
        response = _respond(spec, view(**kwargs))
    except Exception as e:
        _audit(spec, _outcome(e))
        raise
    _audit(spec, "ok")
    return response


def _authorize(spec: Route) -> None:
    principal = auth.authenticate(request)
    g.api_principal = principal
    # a bad bearer token is refused even when a browser session also came along
    bearer = "Authorization" in request.headers
    if principal is None or (bearer and principal.via != "token"):
        g.api_principal = None
        raise ApiError(401, "unauthenticated", "a valid bearer token or a login session is required",
                       headers={"WWW-Authenticate": 'Bearer realm="opsconsole"'})
    if not auth.role_allows(principal.role, spec.role):
        raise ApiError(403, "forbidden", f"this needs the {spec.role} role; {principal.name} is {principal.role}")
    if spec.mutating and principal.via == "session":
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except CsrfInvalid as e:
            raise ApiError(403, "csrf_failed", str(e)) from e


def _authorize_shared(key: str) -> None:
    expected = str(current_app.config.get(key) or "")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # compare_digest: the time taken says nothing about how much of the token was right
    if not expected or scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise ApiError(401, "unauthenticated", f"this endpoint takes only the bearer token configured as {key}",
                       headers={"WWW-Authenticate": 'Bearer realm="opsconsole"'})
    g.api_principal = auth.Principal(name=key.lower(), role="none", via="shared-token")


def _json_body() -> Any:
    data = request.get_data()
    if not data:
        return None
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ApiError(400, "malformed_json", f"the request body is not JSON: {e}") from e


def _validated(model: type[BaseModel], data: Any, *, status: int = 422) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        # no input, no context: a rejected password must not come back in the answer
        detail = e.errors(include_url=False, include_input=False, include_context=False)
        raise ApiError(status, "validation_failed", [{**d, "loc": list(d["loc"])} for d in detail]) from e


def _respond(spec: Route, result: Any) -> Response:
    status = spec.status
    if isinstance(result, tuple):
        result, status = result
    if spec.media_type != "application/json":
        return current_app.response_class(result, status, mimetype=spec.media_type)
    if spec.response is None:
        return current_app.response_class(status=status)
    model = result if isinstance(result, spec.response) else spec.response.model_validate(result)
    return current_app.response_class(model.model_dump_json(), status, mimetype="application/json")


def _outcome(e: Exception) -> str:
    if isinstance(e, ApiError):
        return e.error
    if isinstance(e, Conflict):
        return "conflict"
    return "bad_request" if isinstance(e, UsageProblem) else "error"


def _audit(spec: Route, result: str) -> None:
    if not spec.mutating or (result == "ok" and g.pop("api_audit_skip", False)):
        return
    target, detail = g.pop("api_audit", (request.path, None))
    auth.record_audit(principal=g.get("api_principal"), action=spec.action, target=target, result=result,
                      source=request.remote_addr, detail=detail)
