"""Typed errors shared across opsconsole. Each subclasses a built-in and carries its data."""
from __future__ import annotations


class OpsError(Exception):
    """Base of opsconsole's own errors; the CLI prints the message on one line."""


class UsageProblem(OpsError, ValueError):
    """Bad input from the user: the CLI exits with status 2."""


class PortInUse(UsageProblem):
    """A port that a part of the stack needs is taken by another process."""

    def __init__(self, part: str, port: int):
        super().__init__(f"port {port} needed by {part} is already in use")
        self.part = part
        self.port = port


class ConfigError(UsageProblem):
    """A setting of the console is missing or malformed; carries the offending key."""

    def __init__(self, key: str, reason: str):
        super().__init__(f"config {key}: {reason}")
        self.key = key
        self.reason = reason


class InstallError(OpsError, RuntimeError):
    """Installing or building a part of the stack failed."""


class StartError(OpsError, RuntimeError):
    """A part of the stack did not start or did not become healthy in time."""

    def __init__(self, part: str, reason: str):
        super().__init__(f"{part} did not start: {reason}")
        self.part = part
        self.reason = reason


class BackendError(OpsError):
    """A backend answered, but not with what we asked for."""

    def __init__(self, backend: str, detail: str, *, status: int | None = None):
        super().__init__(f"{backend}: {detail}")
        self.backend = backend
        self.detail = detail
        self.status = status


class BackendUnavailable(BackendError):
    """A backend could not be reached (connection refused, timeout, DNS)."""


class Conflict(OpsError, ValueError):
    """What was to be created clashes with something stored (a unique name, a prefix); carries which."""

    def __init__(self, what: str, reason: str):
        super().__init__(f"{what}: {reason}")
        self.what = what
        self.reason = reason


class StackNotRunning(BackendUnavailable):
    """The local stack under a home is not running, so nothing can be started against it."""

    def __init__(self, home: str):
        super().__init__("local stack", f"not running under {home}: start it with `opsconsole stack up`")
        self.home = home


class NotifyError(OpsError):
    """A notification was not delivered; ``permanent`` when trying again cannot help (bad address, 4xx)."""

    def __init__(self, channel: str, detail: str, *, permanent: bool = False):
        super().__init__(f"{channel}: {detail}")
        self.channel = channel
        self.detail = detail
        self.permanent = permanent
