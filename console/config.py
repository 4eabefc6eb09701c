"""The console's settings, in one place.

Layers, each overriding the one before: built-in defaults, the local stack's
``stack.json`` (its backend URLs), an optional YAML file named by ``OPSCONSOLE_CONFIG``,
``OPSCONSOLE_*`` environment variables, and finally the dict given to ``create_app``.
Keys are Flask-style upper case; the YAML file and the dict may use lower case.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from console.errors import ConfigError
from deploy.local.layout import HOST, Layout, Ports, current

BACKEND_KINDS = ("prometheus", "alertmanager", "elasticsearch", "jaeger")
URL_KEYS = tuple(f"{kind.upper()}_URL" for kind in BACKEND_KINDS)

DEFAULTS: dict[str, Any] = {
    "BACKEND_TIMEOUT": 2.0,
    "LOGS_INDEX": "logs-opsconsole-*",
    # where rule files go; empty: the directory of Prometheus' own rule_files glob
    "RULES_DIR": "",
    # seconds between two passes of the scaling loop; the loop runs where SCALING_LOOP is set
    "SCALING_PERIOD": 15.0,
    # the bearer token Alertmanager sends to the webhook; empty: every webhook call is refused
    "ALERTMANAGER_TOKEN": "",
    "WEBHOOK_MAX_BYTES": 1024 * 1024,
    # on-call channels: email when SMTP_HOST is set, chat when CHAT_WEBHOOK_URL is, a webhook signed with
    # NOTIFY_WEBHOOK_SECRET (HMAC-SHA256) when NOTIFY_WEBHOOK_URL is
    "SMTP_HOST": "", "SMTP_PORT": 25, "SMTP_FROM": "", "SMTP_TO": "", "SMTP_STARTTLS": False,
    "SMTP_USER": "", "SMTP_PASSWORD": "", "CHAT_WEBHOOK_URL": "", "NOTIFY_WEBHOOK_URL": "", "NOTIFY_WEBHOOK_SECRET": "",
    "NOTIFY_ATTEMPTS": 3, "NOTIFY_BACKOFF": 1.0, "NOTIFY_TIMEOUT": 10.0,
    # each notification carries a chart of the alert's expression, failing traces and top errors
    "NOTIFY_EVIDENCE": True,
    # where people reach this console, for links in notifications; empty: no links
    "PUBLIC_URL": "",
    # how long the ack link in a notification works (seconds); each works once
    "ACK_LINK_TTL": 4 * 3600,
    # escalation policies (a YAML file; none when empty), and how often due steps are sent where ESCALATION_LOOP
    # is set (opsconsole serve sets it)
    "ONCALL_POLICIES": "", "ESCALATION_TICK": 5.0,
    # SQLite's fsync on commit: NORMAL (in WAL mode) survives a crash of the process and never corrupts, but a
    # power loss may undo the last commits; FULL keeps those too, at a third of the webhook's write rate
    "SQLITE_SYNCHRONOUS": "NORMAL",
    # the SLO definitions the SLO pages show; empty: the project's rules/slo
    "SLO_DIR": "",
}
SQLITE_SYNCHRONOUS = ("NORMAL", "FULL")

# environment variable -> key; each is read as a string and validated like any other layer
ENV_KEYS = {f"OPSCONSOLE_{key}": key for key in (*URL_KEYS, "SECRET_KEY", "BACKEND_TIMEOUT", "LOGS_INDEX",
                                                  "DATABASE_URL", "SESSION_COOKIE_SECURE", "LOG_FILE",
                                                  "OTLP_ENDPOINT", "RULES_DIR", "SCALING_PERIOD",
                                                  "SCALING_LOOP", "ALERTMANAGER_TOKEN", "WEBHOOK_MAX_BYTES",
                                                  "SMTP_HOST", "SMTP_PORT", "SMTP_FROM", "SMTP_TO", "SMTP_STARTTLS",
                                                  "SMTP_USER", "SMTP_PASSWORD", "CHAT_WEBHOOK_URL",
                                                  "NOTIFY_WEBHOOK_URL", "NOTIFY_WEBHOOK_SECRET",
                                                  "NOTIFY_ATTEMPTS", "NOTIFY_BACKOFF", "NOTIFY_TIMEOUT",
                                                  "PUBLIC_URL", "ACK_LINK_TTL", "NOTIFY_EVIDENCE",
                                                  "ONCALL_POLICIES", "ESCALATION_TICK", "SQLITE_SYNCHRONOUS",
                                                  "SLO_DIR", "SCALING_EXECUTOR", "SCALING_KUBECONFIG",
                                                  "SCALING_NAMESPACE")}


def stack_settings(ports: Ports) -> dict[str, Any]:
    """Backend URLs of a local stack listening on ``ports``."""
    return {
        "PROMETHEUS_URL": f"http://{HOST}:{ports.prometheus}",
        "ALERTMANAGER_URL": f"http://{HOST}:{ports.alertmanager}",
        "ELASTICSEARCH_URL": f"http://{HOST}:{ports.elasticsearch}",
        "JAEGER_URL": f"http://{HOST}:{ports.jaeger_query}",
    }


def own_telemetry_settings(layout: Layout, ports: Ports) -> dict[str, Any]:
    """Where a console serving the local stack sends its own spans and ECS log lines."""
    return {
        "OTLP_ENDPOINT": f"http://{HOST}:{ports.jaeger_otlp_http}",
        # the directory the log shipper tails, so the console's lines reach Elasticsearch
        "LOG_FILE": str(layout.service_logs / "console.log"),
    }


def env_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings given by ``OPSCONSOLE_*`` variables in ``environ``; empty ones are ignored."""
    return {key: environ[name] for name, key in ENV_KEYS.items() if environ.get(name)}


def file_settings(path: Path) -> dict[str, Any]:
    """The settings in a YAML mapping file; a missing or malformed file is a ``ConfigError``."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as e:
        raise ConfigError("OPSCONSOLE_CONFIG", f"cannot read {path}: {e.strerror}") from e
    except yaml.YAMLError as e:
        raise ConfigError("OPSCONSOLE_CONFIG", f"{path} is not valid YAML") from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("OPSCONSOLE_CONFIG", f"{path} must hold a mapping of settings")
    return _upper(data)


def validate(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Checked and normalised settings: URLs http(s) without a trailing slash, timeout a positive float."""
    checked = dict(settings)
    for key in URL_KEYS:
        checked[key] = _checked_url(key, settings.get(key))
    timeout = settings.get("BACKEND_TIMEOUT")
    try:
        checked["BACKEND_TIMEOUT"] = float(timeout)
    except (TypeError, ValueError) as e:
        raise ConfigError("BACKEND_TIMEOUT", f"not a number of seconds: {timeout!r}") from e
    if not 0 < checked["BACKEND_TIMEOUT"] <= 300:
        raise ConfigError("BACKEND_TIMEOUT", f"must be between 0 and 300 seconds, got {timeout!r}")
    checked["SESSION_COOKIE_SECURE"] = _checked_flag("SESSION_COOKIE_SECURE", settings.get("SESSION_COOKIE_SECURE"))
    synchronous = str(settings.get("SQLITE_SYNCHRONOUS") or "NORMAL").upper()
    if synchronous not in SQLITE_SYNCHRONOUS:
        raise ConfigError("SQLITE_SYNCHRONOUS", f"one of {', '.join(SQLITE_SYNCHRONOUS)}, got {synchronous!r}")
    checked["SQLITE_SYNCHRONOUS"] = synchronous
    if not checked.get("SECRET_KEY"):
        # no secret configured: a random one per process (sessions then end on restart)
        checked["SECRET_KEY"] = secrets.token_hex(32)
    return checked


def load(overrides: Mapping[str, Any] | None = None, *, environ: Mapping[str, str] | None = None,
         base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """All layers merged and validated; ``base`` sits just above the stack's, ``environ`` defaults to ``os.environ``."""
    environ = os.environ if environ is None else environ
    layout, ports = current()
    settings = {**DEFAULTS, **stack_settings(ports), "DATABASE_URL": f"sqlite:///{layout.home / 'opsconsole.db'}",
                **(base or {})}
    if environ.get("OPSCONSOLE_CONFIG"):
        settings.update(file_settings(Path(environ["OPSCONSOLE_CONFIG"])))
    settings.update(env_settings(environ))
    settings.update(_upper(overrides or {}))
    return validate(settings)


def _upper(data: Mapping[str, Any]) -> dict[str, Any]:
    return {str(key).upper(): value for key, value in data.items()}


def _checked_flag(key: str, value: Any) -> bool:
    # from env or YAML a flag may arrive as text
    if isinstance(value, bool) or value is None:
        return bool(value)
    if str(value).lower() in ("1", "true", "yes", "on"):
        return True
    if str(value).lower() in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(key, f"not a true/false flag: {value!r}")


def _checked_url(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(key, "missing URL")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as e:
        raise ConfigError(key, f"malformed URL: {e}") from e
    if parts.scheme not in ("http", "https"):
        raise ConfigError(key, f"URL scheme must be http or https, got {parts.scheme or 'none'!r}")
    if not parts.hostname:
        raise ConfigError(key, "URL has no host")
    return value.rstrip("/")
