"""process: detached processes by name, stopped with their whole process group."""
from __future__ import annotations

import time
from pathlib import Path

from deploy.local import process
from deploy.local.layout import Layout


def _wait(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_it_starts_a_detached_process_with_a_pid_file_and_a_log(tmp_path):
    layout = Layout(tmp_path)
    pid = process.start(layout, "echoer", ["sh", "-c", "echo hello $GREETING; exec sleep 30"], env={"GREETING": "you"})
    try:
        assert layout.pid_file("echoer").read_text().strip() == str(pid)
        assert process.is_running(layout, "echoer")
        assert process.running_names(layout) == ["echoer"]
        assert _wait(lambda: "hello you" in layout.log_file("echoer").read_text())
    finally:
        process.stop(layout, "echoer")


def test_it_stops_the_children_of_a_process_too(tmp_path):
    layout = Layout(tmp_path)
    # The shell forks a sleeper and waits; SIGTERM must reach the sleeper through the group.
    pid = process.start(layout, "parent", ["sh", "-c", "sleep 30 & wait"])
    assert _wait(lambda: len(_group_members(pid)) >= 2)
    assert process.stop(layout, "parent", timeout=5.0) is True
    assert not process.group_alive(pid)
    assert not layout.pid_file("parent").exists()


def test_it_kills_a_process_that_ignores_sigterm(tmp_path):
    layout = Layout(tmp_path)
    pid = process.start(layout, "stubborn", ["sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"])
    assert _wait(lambda: process.is_running(layout, "stubborn"))
    started = time.monotonic()
    assert process.stop(layout, "stubborn", timeout=0.5) is True
    assert time.monotonic() - started < 5.0
    assert not process.group_alive(pid)


def test_it_reports_an_exited_process_as_not_running(tmp_path):
    layout = Layout(tmp_path)
    process.start(layout, "brief", ["true"])
    assert _wait(lambda: not process.is_running(layout, "brief"))
    assert process.running_names(layout) == []
    assert process.recorded_names(layout) == ["brief"]
    assert process.stop(layout, "brief") is False
    assert process.recorded_names(layout) == []


def _group_members(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2:].split()
        if fields[2] == str(pgid):
            members.append(int(stat.parent.name))
    return members
