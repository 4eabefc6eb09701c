"""Conformance of the replica calculation with the Kubernetes controller's own tests.

Each case is taken from ``pkg/controller/podautoscaler/replica_calculator_test.go``; its id is
the Go test (and subtest) name. Translation: values stay in the Go tests' milli-units; a pod
counts as "not ready" here when the controller would leave it out as unready (pending pods,
and for CPU unready or still-warming "hot" pods); failed and deleted pods are not replicas at
all. For custom (non-CPU) metrics the controller ignores readiness, so those pods are ready.
"""
from __future__ import annotations

import pytest

from console.scaling.replicas import (
    NoMetrics,
    Tolerance,
    per_replica,
    total_average,
    total_value,
)

DEFAULT = Tolerance()


def cpu(current, ready, usage_milli, utilization, *, tolerance=DEFAULT):
    """A CPU utilization case with 1-core requests: usage in millicores against a percent target."""
    samples = [u / 1000 * 100 for u in usage_milli]
    return per_replica("cpu", current=current, ready=ready, samples=samples, target=utilization,
                       tolerance=tolerance, missing_at=100.0).replicas


def pods(current, ready, levels, target, *, tolerance=DEFAULT):
    """A Pods (custom per-pod) metric case."""
    return per_replica("qps", current=current, ready=ready, samples=levels, target=target,
                       tolerance=tolerance).replicas


def value(current, ready, level, target, *, tolerance=DEFAULT):
    """An External or Object metric with a Value target."""
    return total_value("qps", current=current, ready=ready, value=level, target=target, tolerance=tolerance).replicas


def average(current, level, per_pod, *, tolerance=DEFAULT):
    """An External or Object metric with an AverageValue (per-pod) target."""
    return total_average("qps", current=current, value=level, target=per_pod, tolerance=tolerance).replicas


UP_1 = Tolerance(down=0.1, up=0.01)

CASES = [
    # CPU utilization (TestReplicaCalcResourceScale and friends)
    pytest.param(lambda: cpu(3, 3, [300, 500, 700], 30), 5, id="TestReplicaCalcResourceScale/scale_up"),
    pytest.param(lambda: cpu(3, 2, [500, 700], 30), 4, id="TestReplicaCalcResourceScale/scale_up:_unready_pod_scales_less"),
    pytest.param(lambda: cpu(3, 2, [500, 700], 30), 4,
                 id="TestReplicaCalcResourceScale/scale_up:_hot-CPU_pod_scales_less"),
    pytest.param(lambda: cpu(3, 1, [400], 30), 3, id="TestReplicaCalcResourceScale/no_scale:_unready_pods_ignored"),
    pytest.param(lambda: cpu(2, 2, [500, 700], 30), 4,
                 id="TestReplicaCalcResourceScale/scale_up:_failed_pods_ignored"),
    pytest.param(lambda: cpu(2, 2, [500, 700], 30), 4,
                 id="TestReplicaCalcResourceScale/scale_up:_pods_being_deleted_are_ignored"),
    pytest.param(lambda: cpu(5, 5, [100, 300, 500, 250, 250], 50), 3, id="TestReplicaCalcResourceScale/scale_down"),
    pytest.param(lambda: cpu(5, 3, [100, 300, 500], 50), 2,
                 id="TestReplicaCalcResourceScale/scale_down:_exclude_unready_pods"),
    pytest.param(lambda: cpu(5, 1, [100], 50), 1, id="TestReplicaCalcResourceScale/scale_down:_exclude_unscheduled_pods"),
    pytest.param(lambda: cpu(5, 3, [100, 300, 500], 50), 2,
                 id="TestReplicaCalcResourceScale/scale_down:_ignore_hot-CPU_pods"),
    pytest.param(lambda: cpu(5, 5, [100, 300, 500, 250, 250], 50), 3,
                 id="TestReplicaCalcResourceScale/scale_down:_failed_pods_ignored"),
    pytest.param(lambda: cpu(3, 3, [1010, 1030, 1020], 100), 3, id="TestReplicaCalcTolerance"),
    pytest.param(lambda: cpu(4, 4, [400, 95], 100), 3, id="TestReplicaCalcMissingMetrics"),
    pytest.param(lambda: cpu(2, 2, [1000], 100), 2, id="TestReplicaCalcMissingMetricsNoChangeEq"),
    pytest.param(lambda: cpu(2, 2, [1900], 100), 2, id="TestReplicaCalcMissingMetricsNoChangeGt"),
    pytest.param(lambda: cpu(2, 2, [600], 100), 2, id="TestReplicaCalcMissingMetricsNoChangeLt"),
    pytest.param(lambda: cpu(3, 2, [450], 50), 3, id="TestReplicaCalcMissingMetricsUnreadyChange"),
    pytest.param(lambda: cpu(3, 2, [450], 50), 3, id="TestReplicaCalcMissingMetricsHotCpuNoChange"),
    pytest.param(lambda: cpu(3, 2, [2000], 50), 4, id="TestReplicaCalcMissingMetricsUnreadyScaleUp"),
    pytest.param(lambda: cpu(3, 2, [2000], 50), 4, id="TestReplicaCalcMissingMetricsHotCpuScaleUp"),
    pytest.param(lambda: cpu(4, 3, [100, 100], 50), 3, id="TestReplicaCalcMissingMetricsUnreadyScaleDown"),
    pytest.param(lambda: cpu(2, 3, [100, 100], 50), 2, id="TestReplicaCalcDuringRollingUpdateWithMaxSurge"),
    # configurable tolerances (down, up); the requests 0.9/1.0/1.1 average to one core
    pytest.param(lambda: cpu(3, 3, [909, 1010, 1111], 100, tolerance=Tolerance(0, 0)), 4,
                 id="TestReplicaCalcConfigurableTolerance/Outside_of_a_0%_tolerance"),
    pytest.param(lambda: cpu(3, 3, [1890, 1910, 1900], 100, tolerance=Tolerance(0.1, 2)), 3,
                 id="TestReplicaCalcConfigurableTolerance/Within_a_200%_scale-up_tolerance"),
    pytest.param(lambda: cpu(3, 3, [1100, 1080, 1090], 100, tolerance=Tolerance(2, 0.08)), 4,
                 id="TestReplicaCalcConfigurableTolerance/Outside_8%_scale-up_tolerance"),
    pytest.param(lambda: cpu(3, 3, [660, 640, 650], 100, tolerance=Tolerance(0.36, 0.1)), 3,
                 id="TestReplicaCalcConfigurableTolerance/Within_a_36%_scale-down_tolerance"),
    pytest.param(lambda: cpu(3, 3, [660, 640, 650], 100, tolerance=Tolerance(0.34, 0.1)), 2,
                 id="TestReplicaCalcConfigurableTolerance/Outside_a_34%_scale-down_tolerance"),
    # Pods metrics
    pytest.param(lambda: pods(3, 3, [20000, 10000, 30000], 15000), 4, id="TestReplicaCalcScaleUpCM"),
    pytest.param(lambda: pods(3, 3, [50000, 10000, 30000], 15000), 6, id="TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale"),
    pytest.param(lambda: pods(3, 3, [50000, 15000, 30000], 15000), 7,
                 id="TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown"),
    pytest.param(lambda: pods(5, 5, [12000] * 5, 20000), 3, id="TestReplicaCalcScaleDownCM"),
    pytest.param(lambda: pods(3, 3, [20000, 21000, 21000], 20000), 3, id="TestReplicaCalcToleranceCM"),
    pytest.param(lambda: pods(3, 3, [20000, 21000, 21000], 20000, tolerance=UP_1), 4,
                 id="TestReplicaCalcConfigurableToleranceCM"),
    pytest.param(lambda: pods(5, 5, [20000, 19000, 21000], 20000), 5, id="TestPlainMetricReplicaCalcMissingMetricsNoChangeEq"),
    pytest.param(lambda: pods(2, 3, [10000, 10000], 17000), 2, id="TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM"),
    # Object and External metrics with a Value target
    pytest.param(lambda: value(3, 3, 20000, 15000), 4, id="TestReplicaCalcScaleUpCMObject"),
    pytest.param(lambda: value(3, 1, 50000, 10000), 5, id="TestReplicaCalcScaleUpCMObjectIgnoresUnreadyPods"),
    pytest.param(lambda: value(3, 1, 8600, 4400), 2, id="TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods"),
    pytest.param(lambda: value(5, 5, 12000, 20000), 3, id="TestReplicaCalcScaleDownCMObject"),
    pytest.param(lambda: value(5, 5, 8600, 14334), 3, id="TestReplicaCalcScaleDownCMExternal"),
    pytest.param(lambda: value(3, 3, 20666, 20000), 3, id="TestReplicaCalcToleranceCMObject"),
    pytest.param(lambda: value(3, 3, 8600, 8888), 3, id="TestReplicaCalcToleranceCMExternal"),
    pytest.param(lambda: value(3, 3, 20666, 20000, tolerance=UP_1), 4, id="TestReplicaCalcConfigurableToleranceCMObject"),
    pytest.param(lambda: value(3, 3, 8900, 8800, tolerance=UP_1), 4, id="TestReplicaCalcConfigurableToleranceCMExternal"),
    # Object and External metrics with an AverageValue target
    pytest.param(lambda: average(3, 20000, 5000), 4, id="TestReplicaCalcScaleUpCMPerPodObject"),
    pytest.param(lambda: average(3, 8600, 2150), 4, id="TestReplicaCalcScaleUpPerPodCMExternal"),
    pytest.param(lambda: average(5, 6000, 2000), 3, id="TestReplicaCalcScaleDownPerPodCMObject"),
    pytest.param(lambda: average(5, 8600, 2867), 3, id="TestReplicaCalcScaleDownPerPodCMExternal"),
    pytest.param(lambda: average(4, 20166, 5000), 4, id="TestReplicaCalcTolerancePerPodCMObject"),
    pytest.param(lambda: average(3, 8600, 2900), 3, id="TestReplicaCalcTolerancePerPodCMExternal"),
    pytest.param(lambda: average(4, 20208, 5000, tolerance=UP_1), 5, id="TestReplicaCalcConfigurableTolerancePerPodCMObject"),
    pytest.param(lambda: average(3, 8600, 2800, tolerance=UP_1), 4, id="TestReplicaCalcConfigurableTolerancePerPodCMExternal"),
    pytest.param(lambda: average(1, 2**63 - 1, 1), 2**31 - 1, id="TestExternalPerPodMetricReplicaOverflow"),
]


@pytest.mark.parametrize(("calculate", "expected"), CASES)
def test_it_matches_the_controller(calculate, expected):
    assert calculate() == expected


def test_it_refuses_a_metric_with_no_sample_from_a_ready_replica():
    with pytest.raises(NoMetrics):
        per_replica("qps", current=3, ready=0, samples=[], target=1.0)


def test_it_explains_a_proposal():
    proposal = per_replica("qps", current=4, ready=4, samples=[0.4, 0.095], target=1.0, missing_at=1.0)
    assert proposal.replicas == 3
    assert "2 ready replica(s) without a sample counted at 1" in proposal.explain()
