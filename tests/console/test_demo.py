"""demo: a second run reuses what runs, and restarts the console when its code changed since it started."""
from __future__ import annotations

import os

import pytest

from console.demo import DEMO_REPLICAS, code_stamp, demo_counts, login_hint, start_background
from deploy.local import process
from deploy.local.layout import Layout

# a process of ours that stays up a while and needs no server: load sent to a port nothing listens on
IDLE = ("load", "--url", "http://127.0.0.1:9", "--rps", "1", "--duration", "60")


def _touch(path, seconds_later: int) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + seconds_later * 10**9))


def test_it_stamps_code_by_its_newest_change_leaving_compiled_files_out(tmp_path):
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "chart.js").write_text("//\n")
    first = code_stamp(tmp_path)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    _touch(tmp_path / "__pycache__" / "app.cpython-311.pyc", 5)
    assert code_stamp(tmp_path) == first
    _touch(tmp_path / "static" / "chart.js", 5)
    assert code_stamp(tmp_path) != first


def test_it_restarts_a_process_whose_code_changed_and_keeps_one_whose_code_did_not(tmp_path):
    layout = Layout(tmp_path / "home")
    code = tmp_path / "code"
    code.mkdir()
    (code / "page.html").write_text("<p>v1</p>\n")
    try:
        assert start_background(layout, "idle", IDLE, code=code) == "started"
        first = process.read_pid(layout, "idle")
        assert start_background(layout, "idle", IDLE, code=code) == "running"
        assert process.read_pid(layout, "idle") == first

        _touch(code / "page.html", 5)  # a git pull
        assert start_background(layout, "idle", IDLE, code=code) == "restarted"
        assert process.read_pid(layout, "idle") != first and not process.group_alive(first)
        assert process.is_running(layout, "idle")
        assert start_background(layout, "idle", IDLE, code=code) == "running"
    finally:
        process.stop(layout, "idle")


def test_it_reuses_a_running_process_when_no_code_is_named(tmp_path):
    layout = Layout(tmp_path)
    try:
        assert start_background(layout, "idle", IDLE) == "started"
        assert start_background(layout, "idle", IDLE) == "running"
    finally:
        process.stop(layout, "idle")


@pytest.mark.parametrize("running, asked", [
    (set(), DEMO_REPLICAS),
    ({"gateway"}, {s: n for s, n in DEMO_REPLICAS.items() if s != "gateway"}),
    (set(DEMO_REPLICAS), {}),
], ids=["first run: the demo's counts", "the gateway runs: its count stays", "all run: nothing asked"])
def test_it_asks_replicas_only_of_services_not_running(running, asked):
    assert demo_counts(running) == asked


@pytest.mark.parametrize("shown, hint", [
    ("admin", "log in as admin with the password shown above"),
    (None, "log in as a console user (a forgotten password: opsconsole user password NAME)"),
], ids=["first run", "later runs"])
def test_it_says_how_to_log_in(shown, hint):
    assert login_hint(shown) == hint
