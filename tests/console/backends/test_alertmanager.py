from datetime import datetime, timezone

import pytest

from console.backends.alertmanager import Alertmanager, parse_alerts, parse_time
from console.errors import BackendError, ConfigError


def test_it_parses_alerts(fixture_json):
    [alert] = parse_alerts(fixture_json("alertmanager/alerts.json"))
    assert alert.name == "GatewaySlow" and alert.state == "active"
    assert alert.labels["service"] == "gateway" and alert.annotations["summary"] == "gateway is slow"
    assert alert.starts_at.tzinfo is not None and alert.ends_at > alert.starts_at
    assert alert.silenced_by == [] and alert.fingerprint


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-25T09:04:07.255Z", datetime(2026, 11, 25, 9, 4, 7, 255000, tzinfo=timezone.utc)),
    ("2026-11-25T09:04:07.123456789Z", datetime(2026, 11, 25, 9, 4, 7, 123456, tzinfo=timezone.utc)),
    ("2026-11-25T09:04:07Z", datetime(2026, 11, 25, 9, 4, 7, tzinfo=timezone.utc)),
    ("", None),
], ids=["milliseconds", "nanoseconds", "whole seconds", "empty"])
def test_it_parses_go_times(text, expected):
    assert parse_time(text) == expected


@pytest.fixture
def alertmanager(alertmanager_url):
    backend = Alertmanager(alertmanager_url, timeout=2)
    yield backend
    backend.close()


def test_it_reports_health(alertmanager):
    health = alertmanager.health()
    assert health.healthy and health.detail == "OK"


def test_it_lists_alerts(alertmanager):
    alerts = alertmanager.alerts(['alertname="NoSuchAlertAnywhere"'])
    assert alerts == []


def test_it_raises_backend_error_on_a_bad_matcher(alertmanager):
    with pytest.raises(BackendError) as caught:
        alertmanager.alerts(["not a matcher {"])
    assert caught.value.status == 400


def test_it_reports_a_closed_port_as_down(closed_port):
    backend = Alertmanager(f"http://127.0.0.1:{closed_port}", timeout=2)
    health = backend.health()
    backend.close()
    assert not health.healthy and f"127.0.0.1:{closed_port}/-/healthy" in health.detail


def test_it_refuses_a_url_that_is_not_http():
    with pytest.raises(ConfigError, match="ALERTMANAGER_URL"):
        Alertmanager("127.0.0.1:9093", timeout=2)
