"""Autoscaling: HPA-shaped policies, the pure engine, executors, and the scale service.

``init_app`` gives the app its executor: ``SCALING_EXECUTOR=local`` (the default: local replicas
of the stack home in ``SCALING_HOME``, by default the current stack's) or ``kubernetes`` (workloads
of ``SCALING_NAMESPACE`` through the kubeconfig ``SCALING_KUBECONFIG``, or the pod's service
account when that is empty), and, on an empty store, the policies of ``SCALING_POLICIES_DIR``
(``rules/scaling`` of the repository by default). With ``SCALING_LOOP`` set it also starts the
scaling loop, every ``SCALING_PERIOD`` seconds, stopped (and its lease handed over) at exit.
"""
from __future__ import annotations

import atexit
import re
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import func, select

from console.errors import ConfigError
from console.scaling import models
from console.scaling.engine import Decision, History, decide
from console.scaling.executors import Executor
from console.scaling.executors.local import LocalExecutor
from console.scaling.policy import Policy, PolicyError, load_policies, validate_policy

__all__ = ["Decision", "Executor", "History", "Policy", "PolicyError", "decide", "executor", "executor_from_config",
           "init_app", "kubernetes_namespace", "load_policies", "loop_period", "validate_policy"]

EXTENSION = "opsconsole.scaling"
LOOP_EXTENSION = "opsconsole.scaling.loop"
POLICIES_DIR = Path(__file__).resolve().parents[2] / "rules" / "scaling"
# where a pod finds its namespace (the in-cluster default for SCALING_NAMESPACE)
SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def init_app(app: Flask) -> None:
    """Attach the executor and seed the store with the policy files when it has none."""
    from console import store
    from console.scaling import service
    from deploy.local.layout import home_dir

    app.extensions[EXTENSION] = executor_from_config(app.config, default_home=home_dir())
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


def executor_from_config(config, *, default_home: Path) -> Executor:
    """The executor the settings ask for; a ``ConfigError`` naming the key for a bad value."""
    from deploy.local.layout import Layout

    kind = str(config.get("SCALING_EXECUTOR") or "local").lower()
    if kind == "local":
        return LocalExecutor(Layout(Path(config.get("SCALING_HOME") or default_home)))
    if kind != "kubernetes":
        raise ConfigError("SCALING_EXECUTOR", f"one of local, kubernetes; got {kind!r}")
    from console.scaling.executors.kubernetes import KubernetesExecutor, load_client

    namespace = kubernetes_namespace(config.get("SCALING_NAMESPACE"))
    kubeconfig = config.get("SCALING_KUBECONFIG") or ""
    if kubeconfig and not Path(kubeconfig).is_file():
        raise ConfigError("SCALING_KUBECONFIG", f"no such file: {kubeconfig}")
    executor = KubernetesExecutor(load_client(kubeconfig), namespace)
    atexit.register(executor.close)
    return executor


def kubernetes_namespace(value, *, service_account: Path = SERVICE_ACCOUNT_NAMESPACE) -> str:
    """``SCALING_NAMESPACE``, else the pod's own namespace, else ``default``; a ``ConfigError`` if malformed."""
    if not value and service_account.is_file():
        value = service_account.read_text().strip()
    namespace = str(value or "default")
    if not NAMESPACE.fullmatch(namespace) or len(namespace) > 63:
        raise ConfigError("SCALING_NAMESPACE", f"not a Kubernetes namespace name: {namespace!r}")
    return namespace


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
