"""Autoscaling: HPA-shaped policies, the pure engine, executors, and the scale service.

``init_app`` gives the app its executor (local replicas of the stack home in ``SCALING_HOME``,
by default the current stack's) and, on an empty store, the policies of ``SCALING_POLICIES_DIR``
(``rules/scaling`` of the repository by default). With ``SCALING_LOOP`` set it also starts the
scaling loop, every ``SCALING_PERIOD`` seconds, stopped (and its lease handed over) at exit.
"""
from __future__ import annotations

import atexit
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import func, select

from console.errors import ConfigError
from console.scaling import models
from console.scaling.engine import Decision, History, decide
from console.scaling.executors import Executor
from console.scaling.executors.local import LocalExecutor
from console.scaling.policy import Policy, PolicyError, load_policies, validate_policy

__all__ = ["Decision", "Executor", "History", "Policy", "PolicyError", "decide", "executor", "init_app",
           "load_policies", "loop_period", "validate_policy"]

EXTENSION = "opsconsole.scaling"
LOOP_EXTENSION = "opsconsole.scaling.loop"
POLICIES_DIR = Path(__file__).resolve().parents[2] / "rules" / "scaling"


def init_app(app: Flask) -> None:
    """Attach the executor and seed the store with the policy files when it has none."""
    from console import store
    from console.scaling import service
    from deploy.local.layout import Layout, home_dir

    home = Path(app.config.get("SCALING_HOME") or home_dir())
    app.extensions[EXTENSION] = LocalExecutor(Layout(home))
    with app.app_context():
        db = store.new_session()
        try:
            if not db.scalar(select(func.count()).select_from(models.PolicyRecord)):
                service.import_policies(db, Path(app.config.get("SCALING_POLICIES_DIR") or POLICIES_DIR),
                                        actor="system")
        finally:
            db.close()
    if str(app.config.get("SCALING_LOOP", "")).lower() in ("1", "true", "yes", "on"):
        from console.scaling.loop import Loop

        loop = Loop(app, period=loop_period(app.config.get("SCALING_PERIOD")))
        app.extensions[LOOP_EXTENSION] = loop
        loop.start()
        atexit.register(loop.stop)


def loop_period(value) -> float:
    """``SCALING_PERIOD`` as seconds (default 15); a ``ConfigError`` unless a number from 1 to 3600."""
    from console.scaling.loop import DEFAULT_PERIOD

    try:
        period = DEFAULT_PERIOD if value in (None, "") else float(value)
    except (TypeError, ValueError) as e:
        raise ConfigError("SCALING_PERIOD", f"not a number of seconds: {value!r}") from e
    if not 1 <= period <= 3600:
        raise ConfigError("SCALING_PERIOD", f"must be between 1 and 3600 seconds, got {value!r}")
    return period


def executor() -> Executor:
    """The current app's executor."""
    return current_app.extensions[EXTENSION]
