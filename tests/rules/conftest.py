"""Fixtures for the rule manager: a console on the session stack, and a Prometheus of our own."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from kit import OwnPrometheus, free_port
from rulekit import HOST, Console, make_console, shut


@pytest.fixture
def console(stack, tmp_path) -> Iterator[Console]:
    """A console on the session stack (its rules directory found through Prometheus' config)."""
    others = {"ALERTMANAGER_URL": stack.alertmanager_url, "ELASTICSEARCH_URL": stack.elasticsearch_url,
              "JAEGER_URL": stack.jaeger_url}
    made = make_console(tmp_path, stack.prometheus_url, others)
    yield made
    with made.app.app_context():
        # leave the session Prometheus without our groups for the next test
        from console.rules import target
        from console.rules.apply import apply

        t = target()
        apply([], t.rules_directory(), t.api)
    shut(made)


@pytest.fixture
def own_prometheus(tmp_path) -> Iterator[OwnPrometheus]:
    """A Prometheus of this test's own (never the session one), loading ``<tmp>/rules/*.yml``."""
    port = free_port()
    rules = tmp_path / "prom-rules"
    rules.mkdir()
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump({"global": {"scrape_interval": "2s", "evaluation_interval": "2s"},
                                      "rule_files": [str(rules / "*.yml")]}))
    argv = ["/usr/bin/prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'prom-data'}",
            f"--web.listen-address={HOST}:{port}", "--web.enable-lifecycle"]
    prometheus = OwnPrometheus(f"http://{HOST}:{port}", rules, argv, tmp_path / "prometheus.log")
    prometheus.start()
    yield prometheus
    prometheus.stop()
