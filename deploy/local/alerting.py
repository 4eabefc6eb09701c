"""Route the local stack's Alertmanager to a console's webhook, with a token kept in the home.

The token is made once and kept in ``config/alertmanager/console.token`` (mode 0600): the
console gets it as ``OPSCONSOLE_ALERTMANAGER_TOKEN`` and Alertmanager sends it as its bearer.
"""
from __future__ import annotations

import os
import secrets

import httpx

from console.errors import StartError
from deploy.local import configs
from deploy.local.layout import HOST, Layout, Ports

__all__ = ["console_token", "route_to_console"]


def console_token(layout: Layout) -> str:
    """The home's webhook token, made on first use."""
    path = layout.config / "alertmanager" / "console.token"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    # created 0600 from the start: the token never sits readable by others, not even briefly
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(token + "\n")
    return token


def route_to_console(layout: Layout, ports: Ports, console_url: str, **timing: str) -> str:
    """Point the running Alertmanager at ``console_url`` and reload it; returns the token the console must take."""
    token = console_token(layout)
    configs.write_alertmanager(layout, configs.ConsoleReceiver(console_url, token), **timing)
    url = f"http://{HOST}:{ports.alertmanager}/-/reload"
    try:
        httpx.post(url, timeout=10).raise_for_status()
    except httpx.HTTPError as e:
        raise StartError("alertmanager", f"reload with the console's receiver failed: {e}") from e
    return token
