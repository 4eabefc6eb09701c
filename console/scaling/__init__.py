"""Autoscaling: HPA-shaped policies, the pure engine, executors, and the scale service.

``init_app`` gives the app its executor (local replicas of the stack home in ``SCALING_HOME``,
by default the current stack's) and, on an empty store, the policies of ``SCALING_POLICIES_DIR``
(``rules/scaling`` of the repository by default).
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import func, select

from console.scaling import models
from console.scaling.engine import Decision, History, decide
from console.scaling.executors import Executor
from console.scaling.executors.local import LocalExecutor
from console.scaling.policy import Policy, PolicyError, load_policies, validate_policy

__all__ = ["Decision", "Executor", "History", "Policy", "PolicyError", "decide", "executor", "init_app",
           "load_policies", "validate_policy"]

EXTENSION = "opsconsole.scaling"
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


def executor() -> Executor:
    """The current app's executor."""
    return current_app.extensions[EXTENSION]
