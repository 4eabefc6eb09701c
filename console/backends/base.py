"""What every backend adapter offers, and how its health is measured."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Protocol

from console.errors import BackendError, ConfigError, OpsError
from console.http import Client, redact_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Health:
    """One probe of one backend. ``detail`` says what answered, or why nothing did."""

    name: str
    url: str
    healthy: bool
    latency_ms: float | None
    detail: str

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "name": self.name,
            "url": self.url,
            "healthy": self.healthy,
            "latency_ms": self.latency_ms,
            "detail": self.detail,
        }


class Backend(Protocol):
    """A source the console reads from."""

    name: str
    url: str

    def health(self) -> Health:
        """Probe the backend; never raises."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def check_settings(name: str, url: str, timeout: float) -> None:
    """Refuse an adapter setting that cannot work: a non-http(s) URL or a timeout that is not positive."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConfigError(f"{name.upper()}_URL", "URL scheme must be http or https")
    if not timeout > 0:
        raise ConfigError("BACKEND_TIMEOUT", f"must be positive, got {timeout!r}")


def probe(name: str, url: str, check: Callable[[], str], *, clock: Callable[[], float] = time.perf_counter) -> Health:
    """Run ``check`` (which returns a short detail or raises) and time it; errors become an unhealthy ``Health``."""
    started = clock()
    try:
        detail = check()
    except BackendError as e:
        return Health(name, redact_url(url), False, None, e.detail)
    except OpsError as e:
        return Health(name, redact_url(url), False, None, str(e))
    except Exception as e:  # a probe must never take a page down with it
        log.exception("probe of %s failed unexpectedly", name)
        return Health(name, redact_url(url), False, None, f"{type(e).__name__}: {e}")
    return Health(name, redact_url(url), True, round((clock() - started) * 1000, 1), detail)


def probe_all(backends: dict[str, Backend], *, timeout: float) -> list[Health]:
    """Probe every backend concurrently, in ``backends`` order; one still running after ``timeout`` is unhealthy."""
    if not backends:
        return []
    pool = ThreadPoolExecutor(max_workers=len(backends), thread_name_prefix="probe")
    futures = {name: pool.submit(backend.health) for name, backend in backends.items()}
    wait(futures.values(), timeout=timeout)
    # don't wait for stragglers: their own client timeout ends them
    pool.shutdown(wait=False, cancel_futures=True)
    results = []
    for name, future in futures.items():
        if future.done() and not future.cancelled():
            results.append(future.result())
        else:
            results.append(Health(name, redact_url(backends[name].url), False, None, f"no answer within {timeout:g}s"))
    return results


class HttpBackend:
    """What the plain-HTTP adapters share: checked settings, one ``Client`` seam, ``close``."""

    name: str

    def __init__(self, url: str, *, timeout: float):
        check_settings(self.name, url, timeout)
        self.url = url
        self._http = Client(self.name, url, timeout=timeout)

    def close(self) -> None:
        """Release connections."""
        self._http.close()
