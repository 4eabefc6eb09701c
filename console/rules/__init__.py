"""Alert rules as code: model, render, validation (promtool, live lint), apply with rollback, versions, backtest.

``target()`` is the Prometheus the current app's rules are for; ``console.rules.manage`` is
where changes go through validate → store → apply → commit.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g

from console.rules.manage import RuleInvalid, Target
from console.rules.model import Rule

__all__ = ["Rule", "RuleInvalid", "Target", "init_app", "loaded_rules", "target"]

# a reload re-reads every rule file: give it longer than a query
RELOAD_TIMEOUT = 15.0


def init_app(app: Flask) -> None:
    """Close each app context's rules target when the context ends."""
    app.teardown_appcontext(_close_target)


def target() -> Target:
    """The Prometheus the current app's rules are for (``PROMETHEUS_URL``, ``RULES_DIR``), one per app context."""
    from console.backends import get_backend
    from console.rules.prom import RulesApi

    if "rules_target" not in g:
        config = current_app.config
        timeout = max(float(config["BACKEND_TIMEOUT"]), RELOAD_TIMEOUT)
        directory = config.get("RULES_DIR") or None
        g.rules_target = Target(get_backend("prometheus"), RulesApi(config["PROMETHEUS_URL"], timeout=timeout),
                                Path(directory) if directory else None)
    return g.rules_target


def loaded_rules() -> dict:
    """The alerting rules the target Prometheus runs now (``LoadedRule``) by (group, alert); its error otherwise."""
    return {(group.name, rule.name): rule for group in target().api.groups() for rule in group.rules}


def _close_target(_exc: BaseException | None) -> None:
    built = g.pop("rules_target", None)
    if built is not None:
        built.api.close()
