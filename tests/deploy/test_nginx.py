"""nginx.conf rendering, and the config test that guards every reload."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from console.errors import StartError, UsageProblem
from deploy.local import nginx, sysuser
from deploy.local.layout import Layout, Ports

PORTS = Ports(nginx=18000)


def _layout(tmp_path: Path) -> Layout:
    return Layout(tmp_path / "home")


@pytest.fixture(autouse=True)
def _no_leftovers(tmp_path: Path):
    """nginx's temp dirs live outside the home when we are root: remove them with the test."""
    yield
    sysuser.remove_private_dirs(_layout(tmp_path))


def test_it_answers_503_for_every_service_without_replicas(tmp_path):
    conf = nginx.render(_layout(tmp_path), PORTS, {})
    assert "upstream" not in conf
    for port in range(18000, 18005):
        assert f"listen 127.0.0.1:{port};" in conf
    assert conf.count("return 503") == 5
    assert conf.count("location = /nginx-health") == 5


def test_it_balances_a_service_over_its_replicas_with_least_conn(tmp_path):
    conf = nginx.render(_layout(tmp_path), PORTS, {"gateway": [31002, 31001], "orders": [31010]})
    gateway = conf[conf.index("upstream gateway {"):conf.index("}", conf.index("upstream gateway {"))]
    assert "least_conn;" in gateway
    assert gateway.index("127.0.0.1:31001") < gateway.index("127.0.0.1:31002")
    assert "keepalive 32;" in gateway
    assert conf.count("proxy_pass http://gateway;") == 1
    assert conf.count("proxy_pass http://orders;") == 1
    assert "proxy_next_upstream error timeout;" in conf
    assert conf.count("return 503") == 3  # catalog, inventory, payments


def test_it_keeps_every_path_inside_the_home_or_the_temp_dir(tmp_path):
    layout = _layout(tmp_path)
    conf = nginx.render(layout, PORTS, {}, temp=tmp_path / "temp")
    paths = re.findall(r"^\s*(?:pid|error_log|access_log|\w+_temp_path) ([^ ;]+)", conf, re.MULTILINE)
    assert len(paths) == 8
    assert all(p.startswith((str(layout.home), str(tmp_path / "temp"))) for p in paths)


def test_it_refuses_an_unknown_service(tmp_path):
    with pytest.raises(UsageProblem, match="unknown service shipping"):
        nginx.render(_layout(tmp_path), PORTS, {"shipping": [31000]})


def test_it_writes_a_config_that_nginx_accepts(tmp_path):
    live = nginx.write(_layout(tmp_path), PORTS, {"gateway": [31001]})
    assert "proxy_pass http://gateway;" in live.read_text()


def test_it_keeps_the_old_config_when_nginx_rejects_the_new_one(tmp_path):
    layout = _layout(tmp_path)
    live = nginx.write(layout, PORTS, {"gateway": [31001]})
    before = live.read_text()
    with pytest.raises(StartError, match="old one kept"):
        nginx.write(layout, PORTS, {"gateway": [0]})  # port 0 fails `nginx -t`
    assert live.read_text() == before
    assert not (live.parent / "nginx.conf.new").exists()
