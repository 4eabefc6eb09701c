"""Real gunicorn replicas started, resized and stopped by the runtime, behind a real nginx of the test's own."""
import json

import httpx
import pytest

from console.errors import StackNotRunning
from deploy.local import process, sysuser
from deploy.local.parts import Options, by_name
from deploy.local.layout import Layout, Ports, save_ports
from sample_services.runtime import load_replicas, services_down, services_status, services_up


@pytest.fixture
def home(tmp_path, redis_url, rdb, unused_port):
    layout = Layout(tmp_path / "home")
    ports = Ports(redis=int(redis_url.rsplit(":", 1)[1].split("/")[0]), nginx=unused_port(),
                  jaeger_otlp_http=unused_port(), elasticsearch=unused_port(), logship_metrics=unused_port())
    save_ports(layout, ports)
    nginx = by_name("nginx").launch(layout, ports, Options())
    process.start(layout, "nginx", nginx.argv, env=nginx.env, cwd=nginx.cwd, user=nginx.user)
    yield layout, ports
    services_down(layout)
    process.stop(layout, "nginx")
    sysuser.remove_private_dirs(layout)


def test_it_refuses_to_start_replicas_without_a_running_stack(tmp_path):
    layout = Layout(tmp_path / "home")
    with pytest.raises(StackNotRunning) as refused:
        services_up(layout, Ports(), {"gateway": 1})
    assert "opsconsole stack up" in str(refused.value)
    assert process.running_names(layout) == []


def test_it_runs_resizes_and_stops_replicas(home, monkeypatch):
    layout, ports = home
    monkeypatch.setenv("OPSCONSOLE_TELEMETRY", "off")  # no OTLP peer in this test
    up = services_up(layout, ports, {"gateway": 2, "orders": 0, "inventory": 0, "payments": 0})
    assert [r.name for r in up] == ["catalog-1", "gateway-1", "gateway-2"]
    catalog = next(r for r in up if r.service == "catalog")
    assert httpx.get(f"{catalog.url}/products/1").json()["id"] == 1
    targets = json.loads((layout.file_sd / "shop.json").read_text())
    assert {t["labels"]["replica"] for t in targets} == {"catalog-1", "gateway-1", "gateway-2"}
    assert f"127.0.0.1:{catalog.port}" in [t for g in targets for t in g["targets"]]
    log_line = json.loads((layout.service_logs / "catalog-1.log").read_text().splitlines()[-1])
    assert log_line["service"]["node"]["name"] == "catalog-1"

    again = services_up(layout, ports, {"gateway": 1})
    assert [r.name for r in again] == ["catalog-1", "gateway-1"]
    assert again[0].port == catalog.port  # kept, not restarted
    assert not process.is_running(layout, "gateway-2")
    assert all(row["healthy"] for row in services_status(layout))

    services_down(layout)
    assert load_replicas(layout) == []
    assert not any(process.is_running(layout, name) for name in ("catalog-1", "gateway-1", "logship"))
    assert json.loads((layout.file_sd / "shop.json").read_text()) == []
