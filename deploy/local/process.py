"""Detached processes of one stack home: start, probe, stop, by name.

Each process leads its own session and process group, so ``stop`` reaches its children
too (Elasticsearch's launcher forks the server JVM). Its pid sits in ``layout.pid_file(name)``
and its stdout/stderr go to ``layout.log_file(name)``. Used for the stack's parts and for
the shop's replicas alike.
"""
from __future__ import annotations

import os
import pwd
import signal
import subprocess
import time
from pathlib import Path

from console.errors import StartError
from deploy.local.layout import Layout

# Popen objects of the processes this interpreter started: polling them reaps a child that
# exited, so a long-lived caller (the test run, the console) never accumulates zombies.
_children: dict[int, subprocess.Popen] = {}


def start(
    layout: Layout,
    name: str,
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | str | None = None,
    user: str | None = None,
) -> int:
    """Start ``argv`` detached under ``name`` and return its pid; ``env`` is added to ours."""
    layout.ensure()
    log = layout.log_file(name)
    log.parent.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, **(env or {})}
    identity = {"user": user, "group": _primary_group(user), "extra_groups": []} if user else {}
    with open(log, "ab") as out:
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=full_env,
                cwd=cwd,
                start_new_session=True,
                **identity,
            )
        except OSError as e:
            raise StartError(name, f"cannot run {argv[0]}: {e.strerror or e}") from e
    _children[proc.pid] = proc
    pid_file = layout.pid_file(name)
    tmp = pid_file.with_suffix(".tmp")
    tmp.write_text(f"{proc.pid}\n")
    tmp.replace(pid_file)
    return proc.pid


def read_pid(layout: Layout, name: str) -> int | None:
    """The pid recorded for ``name``, or None when there is no (readable) pid file."""
    try:
        return int(layout.pid_file(name).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def is_running(layout: Layout, name: str) -> bool:
    """Whether the process recorded for ``name`` is alive (and not a zombie)."""
    pid = read_pid(layout, name)
    return pid is not None and _alive(pid)


def running_names(layout: Layout) -> list[str]:
    """Names of every process under this home whose pid file points at a live process."""
    if not layout.run.is_dir():
        return []
    names = sorted(p.stem for p in layout.run.glob("*.pid"))
    return [n for n in names if is_running(layout, n)]


def recorded_names(layout: Layout) -> list[str]:
    """Names of every pid file under this home, live or stale."""
    return sorted(p.stem for p in layout.run.glob("*.pid")) if layout.run.is_dir() else []


def stop(layout: Layout, name: str, *, timeout: float = 10.0) -> bool:
    """SIGTERM the process group of ``name``, SIGKILL it after ``timeout``; True if one was running."""
    pid = read_pid(layout, name)
    was_running = pid is not None and _alive(pid)
    if pid is not None:
        # Signal the group even when the leader is gone: a child it forked may linger.
        _signal_group(pid, signal.SIGTERM)
        if not _wait_group_gone(pid, timeout):
            _signal_group(pid, signal.SIGKILL)
            if not _wait_group_gone(pid, 5.0):
                raise StartError(name, f"process group {pid} survived SIGKILL")
        child = _children.pop(pid, None)
        if child is not None:
            child.wait(timeout=5.0)  # only a zombie is left of it: reap it
    layout.pid_file(name).unlink(missing_ok=True)
    return was_running


def group_alive(pid: int) -> bool:
    """Whether any non-zombie process is left in the process group led by ``pid``."""
    _reap(pid)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat_fields(stat)
        if fields and fields[2] == str(pid) and fields[0] != "Z":
            return True
    return False


def _alive(pid: int) -> bool:
    _reap(pid)
    fields = _stat_fields(Path(f"/proc/{pid}/stat"))
    return fields is not None and fields[0] != "Z"


def _stat_fields(stat: Path) -> list[str] | None:
    """State, ppid, pgrp, ... of one /proc/<pid>/stat (the fields after the command name)."""
    try:
        text = stat.read_text()
    except OSError:
        return None
    # The command name is in parentheses and may itself contain spaces or parentheses.
    return text[text.rfind(")") + 2:].split()


def _reap(pid: int) -> None:
    proc = _children.get(pid)
    if proc is not None and proc.poll() is not None:
        _children.pop(pid, None)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_group_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not group_alive(pid):
            return True
        time.sleep(0.1)
    return not group_alive(pid)


def _primary_group(user: str) -> int:
    return pwd.getpwnam(user).pw_gid
