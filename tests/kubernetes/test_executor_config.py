"""Choosing and configuring the Kubernetes executor, and reading targets and pods, without a server."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from kubernetes import client

from console.errors import ConfigError
from console.scaling import executor_from_config, kubernetes_namespace
from console.scaling.executors import UnknownWorkload
from console.scaling.executors.kubernetes import Workload, parse_target, pod_ready
from console.scaling.executors.local import LocalExecutor


@pytest.mark.parametrize("target, workload", [
    ("gateway", Workload("Deployment", "gateway")),
    ("deployment/gateway", Workload("Deployment", "gateway")),
    ("StatefulSet/db", Workload("StatefulSet", "db")),
    ("replicaset/web-5d9f", Workload("ReplicaSet", "web-5d9f")),
], ids=["a bare name is a Deployment", "kind/name", "kind in any case", "replica sets too"])
def test_it_reads_a_target(target, workload):
    assert parse_target(target) == workload


@pytest.mark.parametrize("target", ["cronjob/nightly", "Gateway", "deployment/", "a/b/c"],
                         ids=["a kind without a scale", "upper case name", "no name", "too many parts"])
def test_it_refuses_a_target_it_cannot_scale(target):
    with pytest.raises(UnknownWorkload):
        parse_target(target)


def test_it_keeps_the_local_executor_by_default(tmp_path):
    assert isinstance(executor_from_config({}, default_home=tmp_path), LocalExecutor)


@pytest.mark.parametrize("settings, key", [
    ({"SCALING_EXECUTOR": "nomad"}, "SCALING_EXECUTOR"),
    ({"SCALING_EXECUTOR": "kubernetes", "SCALING_KUBECONFIG": "/nonexistent/kubeconfig"}, "SCALING_KUBECONFIG"),
    ({"SCALING_EXECUTOR": "kubernetes", "SCALING_NAMESPACE": "Not_A_Namespace"}, "SCALING_NAMESPACE"),
], ids=["unknown executor", "missing kubeconfig", "malformed namespace"])
def test_it_names_the_setting_that_is_wrong(settings, key, tmp_path):
    with pytest.raises(ConfigError) as e:
        executor_from_config(settings, default_home=tmp_path)
    assert e.value.key == key


def test_it_names_the_kubeconfig_when_there_is_no_cluster_to_be_in(tmp_path, monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ConfigError) as e:
        executor_from_config({"SCALING_EXECUTOR": "kubernetes"}, default_home=tmp_path)
    assert e.value.key == "SCALING_KUBECONFIG"


def test_it_takes_the_pods_own_namespace_when_none_is_set(tmp_path):
    (tmp_path / "namespace").write_text("shop\n")
    assert kubernetes_namespace("", service_account=tmp_path / "namespace") == "shop"
    assert kubernetes_namespace("ops", service_account=tmp_path / "namespace") == "ops"
    assert kubernetes_namespace(None, service_account=tmp_path / "absent") == "default"


def _pod(phase="Running", ready="True", deleting=False):
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name="p", deletion_timestamp=datetime(2026, 1, 1, tzinfo=UTC) if deleting else None),
        status=client.V1PodStatus(phase=phase, conditions=[client.V1PodCondition(type="Ready", status=ready)]))


@pytest.mark.parametrize("pod, ready", [
    (_pod(), True),
    (_pod(ready="False"), False),
    (_pod(phase="Pending"), False),
    (_pod(deleting=True), False),
], ids=["running and ready", "not ready", "pending", "being deleted"])
def test_it_counts_a_pod_ready_as_the_hpa_does(pod, ready):
    assert pod_ready(pod) is ready
