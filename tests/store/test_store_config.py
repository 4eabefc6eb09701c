import pytest

from console.config import load
from console.errors import ConfigError


def test_it_defaults_to_a_sqlite_file_in_the_home(tmp_path, monkeypatch):
    monkeypatch.setenv("OPSCONSOLE_HOME", str(tmp_path))
    assert load(environ={})["DATABASE_URL"] == f"sqlite:///{tmp_path / 'opsconsole.db'}"


def test_it_takes_the_url_from_the_environment():
    url = "postgresql+psycopg://console@127.0.0.1:5432/console"
    assert load(environ={"OPSCONSOLE_DATABASE_URL": url})["DATABASE_URL"] == url


@pytest.mark.parametrize("raw, secure", [("true", True), ("1", True), ("off", False), ("", False)])
def test_it_reads_the_secure_cookie_flag(raw, secure):
    assert load({"SESSION_COOKIE_SECURE": raw}, environ={})["SESSION_COOKIE_SECURE"] is secure


def test_it_refuses_a_malformed_secure_cookie_flag():
    with pytest.raises(ConfigError, match="SESSION_COOKIE_SECURE"):
        load(environ={"OPSCONSOLE_SESSION_COOKIE_SECURE": "maybe"})


def test_it_refuses_an_unknown_sqlite_synchronous_mode():
    with pytest.raises(ConfigError, match="SQLITE_SYNCHRONOUS"):
        load(environ={"OPSCONSOLE_SQLITE_SYNCHRONOUS": "OFF"})
