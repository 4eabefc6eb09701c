import pytest
from click.testing import CliRunner

from console.errors import UsageProblem
from sample_services.cli import fault, load, services


@pytest.mark.parametrize("command, args", [
    (services, ["up", "--replicas", "gateway3"]),
    (fault, ["warehouse", "--error-rate", "0.5"]),
    (fault, ["payments", "--latency-ms", "-5"]),
    (load, ["--rps", "-1", "--duration", "5"]),
    (load, ["--rps", "5", "--duration", "0"]),
], ids=["replicas syntax", "unknown service", "negative latency", "negative rps", "zero duration"])
def test_it_raises_a_usage_problem_before_touching_anything(command, args, tmp_path, monkeypatch):
    monkeypatch.setenv("OPSCONSOLE_HOME", str(tmp_path))
    result = CliRunner().invoke(command, args)
    assert isinstance(result.exception, UsageProblem)
    assert list(tmp_path.iterdir()) == []


def test_it_sets_and_clears_a_fault(rdb, redis_url, tmp_path, monkeypatch):
    monkeypatch.setenv("OPSCONSOLE_HOME", str(tmp_path))
    monkeypatch.setenv("OPSCONSOLE_REDIS_PORT", redis_url.rsplit(":", 1)[1].split("/")[0])
    result = CliRunner().invoke(fault, ["payments", "--error-rate", "0.5", "--latency-ms", "20"])
    assert result.exit_code == 0, result.output
    assert rdb.hgetall("opsconsole:fault:payments") == {b"error_rate": b"0.5", b"latency_ms": b"20"}
    assert CliRunner().invoke(fault, ["payments", "--clear"]).exit_code == 0
    assert rdb.exists("opsconsole:fault:payments") == 0
