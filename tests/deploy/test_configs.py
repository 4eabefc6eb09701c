"""Prometheus, Alertmanager, Jaeger and Elasticsearch configs rendered from layout and ports."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from deploy.local import configs, elasticsearch
from deploy.local.layout import Layout, Ports

PORTS = Ports(prometheus=19990, alertmanager=19993, elasticsearch=19920, elasticsearch_transport=19930,
              jaeger_query=19686, jaeger_query_grpc=19685, jaeger_otlp_grpc=19317, jaeger_otlp_http=19318,
              jaeger_health=19133, jaeger_metrics=19888)
JAEGER_PORTS = {19686, 19685, 19317, 19318, 19133, 19888}


def test_it_scrapes_itself_the_shop_and_opsconsole(tmp_path):
    layout = Layout(tmp_path)
    config = yaml.safe_load(configs.render_prometheus(layout, PORTS, scrape_interval="2s"))
    assert config["global"] == {"scrape_interval": "2s", "evaluation_interval": "2s"}
    assert config["rule_files"] == [f"{tmp_path}/rules/*.yml"]
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["127.0.0.1:19993"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["prometheus"]["static_configs"][0]["targets"] == ["127.0.0.1:19990"]
    assert jobs["shop"]["honor_labels"] is True
    assert jobs["shop"]["file_sd_configs"][0]["files"] == [f"{tmp_path}/file_sd/shop.json"]
    assert jobs["opsconsole"]["file_sd_configs"][0]["files"] == [f"{tmp_path}/file_sd/opsconsole.json"]


def test_it_writes_a_prometheus_config_that_promtool_accepts(tmp_path):
    layout = Layout(tmp_path)
    layout.ensure()
    path = configs.write_prometheus(layout, PORTS)
    assert (layout.file_sd / "shop.json").read_text() == "[]\n"
    checked = subprocess.run(["promtool", "check", "config", str(path)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_it_starts_prometheus_with_exemplars_lifecycle_and_a_short_resend_delay(tmp_path):
    argv = configs.prometheus_argv(Layout(tmp_path), PORTS)
    assert "--enable-feature=exemplar-storage" in argv
    assert "--web.enable-lifecycle" in argv
    assert "--rules.alert.resend-delay=5s" in argv
    assert "--web.listen-address=127.0.0.1:19990" in argv


def test_it_turns_alertmanager_clustering_off_by_default(tmp_path):
    argv = configs.alertmanager_argv(Layout(tmp_path), PORTS)
    assert "--cluster.listen-address=" in argv
    assert yaml.safe_load(configs.render_alertmanager())["receivers"] == [{"name": "null"}]


def test_it_binds_every_jaeger_listener_to_loopback_on_our_ports():
    text = configs.render_jaeger(PORTS)
    endpoints = re.findall(r"endpoint: (\S+)", text)
    assert {e.rsplit(":", 1)[0] for e in endpoints} == {"127.0.0.1"}
    metrics = yaml.safe_load(text)["service"]["telemetry"]["metrics"]["readers"][0]["pull"]["exporter"]["prometheus"]
    assert metrics["host"] == "127.0.0.1"
    assert {int(e.rsplit(":", 1)[1]) for e in endpoints} | {metrics["port"]} == JAEGER_PORTS


def test_it_keeps_jaeger_traces_in_memory_unless_asked_for_elasticsearch():
    memory = yaml.safe_load(configs.render_jaeger(PORTS))["extensions"]["jaeger_storage"]["backends"]["traces"]
    assert "memory" in memory
    es = yaml.safe_load(configs.render_jaeger(PORTS, storage="elasticsearch"))
    backend = es["extensions"]["jaeger_storage"]["backends"]["traces"]["elasticsearch"]
    assert backend["server_urls"] == ["http://127.0.0.1:19920"]


def test_it_refuses_an_unknown_jaeger_storage():
    with pytest.raises(ValueError, match="cassandra"):
        configs.render_jaeger(PORTS, storage="cassandra")


def test_it_configures_a_single_loopback_elasticsearch_node_without_security():
    config = yaml.safe_load(elasticsearch.render_config(Path("/srv/es"), PORTS))
    assert config["discovery.type"] == "single-node"
    assert config["network.host"] == "127.0.0.1"
    assert (config["http.port"], config["transport.port"]) == (19920, 19930)
    assert config["xpack.security.enabled"] is False
    assert config["cluster.routing.allocation.disk.threshold_enabled"] is False
    assert config["path.data"] == "/srv/es/data"


def test_it_routes_alertmanager_to_the_console_with_its_token_and_resolutions(tmp_path):
    text = configs.render_alertmanager(configs.ConsoleReceiver("http://127.0.0.1:8080/", "s3cret"), group_wait="1s")
    config = yaml.safe_load(text)
    assert config["route"]["receiver"] == "opsconsole" and config["route"]["group_wait"] == "1s"
    assert config["route"]["group_by"] == ["alertname", "service"]
    [webhook] = config["receivers"][0]["webhook_configs"]
    assert webhook == {"url": "http://127.0.0.1:8080/api/v1/alertmanager/webhook", "send_resolved": True,
                       "http_config": {"authorization": {"type": "Bearer", "credentials": "s3cret"}}}
    # Alertmanager's own checker takes it
    path = tmp_path / "alertmanager.yml"
    path.write_text(text)
    checked = subprocess.run(["/usr/bin/amtool", "check-config", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_it_rewrites_alertmanager_yml_only_to_route_it_to_a_console(tmp_path):
    layout = Layout(tmp_path)
    path = configs.write_alertmanager(layout, configs.ConsoleReceiver("http://127.0.0.1:8080", "s3cret"))
    configs.write_alertmanager(layout)
    assert yaml.safe_load(path.read_text())["route"]["receiver"] == "opsconsole"
