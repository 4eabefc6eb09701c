import pytest

from console.config import env_settings, file_settings, load, validate
from console.errors import ConfigError
from deploy.local.layout import Layout, Ports, save_ports

URLS = {
    "PROMETHEUS_URL": "http://127.0.0.1:1",
    "ALERTMANAGER_URL": "http://127.0.0.1:2",
    "ELASTICSEARCH_URL": "http://127.0.0.1:3",
    "JAEGER_URL": "http://127.0.0.1:4",
}


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("OPSCONSOLE_HOME", str(tmp_path / "home"))
    return Layout(tmp_path / "home")


def test_it_reads_backend_urls_from_the_stack_file(home):
    save_ports(home, Ports(prometheus=19999, jaeger_query=26000))
    settings = load(environ={})
    assert settings["PROMETHEUS_URL"] == "http://127.0.0.1:19999"
    assert settings["JAEGER_URL"] == "http://127.0.0.1:26000"
    assert settings["ALERTMANAGER_URL"] == "http://127.0.0.1:9093"
    assert settings["BACKEND_TIMEOUT"] == 2.0


def test_it_layers_file_then_env_then_overrides(home, tmp_path):
    path = tmp_path / "console.yaml"
    path.write_text("prometheus_url: http://file:9090\njaeger_url: http://file:16686\nbackend_timeout: 4\n")
    environ = {"OPSCONSOLE_CONFIG": str(path), "OPSCONSOLE_JAEGER_URL": "https://env:16686/"}
    settings = load({"backend_timeout": "0.5"}, environ=environ)
    assert settings["PROMETHEUS_URL"] == "http://file:9090"
    assert settings["JAEGER_URL"] == "https://env:16686"
    assert settings["BACKEND_TIMEOUT"] == 0.5


def test_it_reads_every_documented_variable():
    environ = {f"OPSCONSOLE_{k}": v for k, v in URLS.items()}
    environ |= {"OPSCONSOLE_SECRET_KEY": "s3", "OPSCONSOLE_BACKEND_TIMEOUT": "7", "OPSCONSOLE_OTHER": "x"}
    assert env_settings(environ) == {**URLS, "SECRET_KEY": "s3", "BACKEND_TIMEOUT": "7"}


@pytest.mark.parametrize(("key", "value", "reason"), [
    ("PROMETHEUS_URL", "ftp://host:21", "scheme"),
    ("JAEGER_URL", "127.0.0.1:16686", "scheme"),
    ("ELASTICSEARCH_URL", "http://", "no host"),
    ("ALERTMANAGER_URL", "http://host:notaport", "malformed"),
    ("PROMETHEUS_URL", None, "missing"),
    ("BACKEND_TIMEOUT", "soon", "not a number"),
    ("BACKEND_TIMEOUT", 0, "between"),
], ids=["other scheme", "no scheme", "no host", "bad port", "missing", "timeout not a number", "timeout zero"])
def test_it_names_the_key_of_a_bad_setting(key, value, reason):
    with pytest.raises(ConfigError, match=reason) as caught:
        validate({**URLS, "BACKEND_TIMEOUT": 2, key: value})
    assert caught.value.key == key
    assert key in str(caught.value)


def test_it_makes_a_random_secret_when_none_is_set():
    first, second = validate({**URLS, "BACKEND_TIMEOUT": 2}), validate({**URLS, "BACKEND_TIMEOUT": 2})
    assert len(first["SECRET_KEY"]) == 64
    assert first["SECRET_KEY"] != second["SECRET_KEY"]


def test_it_keeps_a_configured_secret():
    assert validate({**URLS, "BACKEND_TIMEOUT": 2, "SECRET_KEY": "given"})["SECRET_KEY"] == "given"


@pytest.mark.parametrize(("text", "reason"), [
    ("- a\n- b\n", "mapping"),
    ("key: [unclosed\n", "not valid YAML"),
], ids=["a list", "broken yaml"])
def test_it_refuses_a_malformed_file(tmp_path, text, reason):
    path = tmp_path / "console.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=reason):
        file_settings(path)


def test_it_refuses_a_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        file_settings(tmp_path / "absent.yaml")


def test_it_accepts_an_empty_file(tmp_path):
    path = tmp_path / "console.yaml"
    path.write_text("")
    assert file_settings(path) == {}
