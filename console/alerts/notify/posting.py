"""What the HTTP channels share: one POST through ``console.http``, its refusals told transient or permanent."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from console.errors import BackendError, BackendUnavailable, NotifyError
from console.http import Client

__all__ = ["post"]


def post(name: str, base: str, path: str, *, timeout: float, redact: Callable[[str], str],
         headers: dict[str, str] | None = None, json: Any = None, content: bytes | None = None) -> None:
    """POST to ``base`` + ``path``; ``NotifyError`` with ``redact``-ed detail: 5xx, 429 and unreachable are
    transient (retried), other refusals permanent."""
    client = Client(name, base, timeout=timeout, headers=headers)
    try:
        client.request("POST", path, json=json, content=content)
    except BackendUnavailable as e:
        raise NotifyError(name, redact(e.detail)) from e
    except BackendError as e:
        transient = e.status is None or e.status >= 500 or e.status == 429
        raise NotifyError(name, redact(e.detail), permanent=not transient) from e
    finally:
        client.close()
