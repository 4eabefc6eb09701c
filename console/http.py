"""The one seam for outbound HTTP: timeouts, typed errors and redacted URLs live here.

Every adapter under ``console/backends`` that speaks plain HTTP goes through ``Client``,
so an unreachable peer is always ``BackendUnavailable`` and an error answer is always
``BackendError`` with its status, and no message ever carries a password from a URL.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson
from opentelemetry import propagate
from opentelemetry.trace import SpanKind, Status, StatusCode

from console import tracing
from console.errors import BackendError, BackendUnavailable

DETAIL_LIMIT = 200


def redact_url(url: str) -> str:
    """``url`` with any user and password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


def error_detail(body: str) -> str:
    """The most useful line of an error body: a JSON ``error``/``errors[].msg``/``message``, else the text."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        if isinstance(data.get("error"), str):
            return data["error"][:DETAIL_LIMIT]
        errors = data.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict) and "msg" in errors[0]:
            return str(errors[0]["msg"])[:DETAIL_LIMIT]
        if isinstance(data.get("message"), str):
            return data["message"][:DETAIL_LIMIT]
    return " ".join(body.split())[:DETAIL_LIMIT] or "(empty body)"


class Client:
    """HTTP to one backend at ``base_url``; every failure is a typed error naming ``backend``."""

    def __init__(self, backend: str, base_url: str, *, timeout: float, headers: dict[str, str] | None = None):
        self.backend = backend
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        auth = (parts.username or "", parts.password or "") if parts.username else None
        if auth:
            # httpx would send them too, but keeping them out of base_url keeps them out of its errors
            host = parts.hostname + (f":{parts.port}" if parts.port else "")
            self.base_url = urlunsplit(parts._replace(netloc=host))
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=auth,
            # uncompressed: the backends sit next to the console, and gzip of a half-megabyte trace search
            # costs the backend and this process CPU that a view's concurrent queries compete for
            headers={"Accept-Encoding": "identity", **(headers or {})},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)),
            follow_redirects=False,
        )

    def request(self, method: str, path: str, *, params: Any = None, data: Any = None,
                json: Any = None, content: bytes | None = None) -> httpx.Response:
        """Send a request; ``BackendUnavailable`` when unreachable, ``BackendError`` on a non-2xx answer.

        ``content`` is a body sent byte for byte (one that was signed), where ``json`` lets httpx encode it.
        """
        where = f"{self.base_url}{path}"
        body = content if content is not None else json
        tracer = tracing.tracer()
        if tracer is None:
            return self._send(where, method, path, params, data, body, None)
        with tracer.start_as_current_span(f"{self.backend} {method}", kind=SpanKind.CLIENT,
                                          attributes={"peer.service": self.backend, "url.path": path}) as span:
            headers: dict[str, str] = {}
            propagate.inject(headers)
            try:
                response = self._send(where, method, path, params, data, body, headers)
            except BackendError as e:
                span.set_status(Status(StatusCode.ERROR, e.detail[:DETAIL_LIMIT]))
                raise
            span.set_attribute("http.response.status_code", response.status_code)
            return response

    def _send(self, where: str, method: str, path: str, params: Any, data: Any, body: Any,
              headers: dict[str, str] | None) -> httpx.Response:
        raw = body if isinstance(body, bytes) else None
        try:
            response = self._http.request(method, path, params=params, data=data, headers=headers,
                                          **({"content": raw} if raw is not None else {"json": body}))
        except httpx.TimeoutException as e:
            raise BackendUnavailable(self.backend, f"{where}: timed out ({type(e).__name__})") from e
        except httpx.TransportError as e:
            raise BackendUnavailable(self.backend, f"{where}: {e or type(e).__name__}") from e
        if not response.is_success:
            raise BackendError(
                self.backend,
                f"{where}: HTTP {response.status_code}: {error_detail(response.text)}",
                status=response.status_code,
            )
        return response

    def json(self, method: str, path: str, *, params: Any = None, data: Any = None) -> Any:
        """The decoded JSON body of a successful request; a non-JSON body is a ``BackendError``."""
        response = self.request(method, path, params=params, data=data)
        try:
            # orjson: a trace search is half a megabyte, which the json module decodes four times slower,
            # holding the GIL that the other queries of the view need
            return orjson.loads(response.content)
        except ValueError as e:  # orjson.JSONDecodeError is a ValueError
            raise BackendError(self.backend, f"{self.base_url}{path}: answer is not JSON") from e

    def close(self) -> None:
        """Release pooled connections."""
        self._http.close()
