"""Put rule files where Prometheus loads them, reload, confirm, and roll back on any failure.

The console owns the files named ``opsconsole-<group>.yml`` in the rules directory (and no
others). ``apply`` snapshots them, writes the new set (each file atomically), asks
Prometheus to reload, then checks ``/api/v1/rules``: every group loaded from its file with
exactly the expected rules and no ``lastError``, and none of ours left over. On any failure
the snapshot goes back and Prometheus is reloaded again; a Prometheus that is down reads
the restored files when it comes back. Nothing is half-applied.
"""
from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from console.errors import BackendError, OpsError
from console.rules import slo as slo_rules
from console.rules.model import Rule
from console.rules.prom import LoadedGroup, RulesApi
from console.rules.render import group_names, render_groups
from console.rules.slo import Slo

FILE_PREFIX = "opsconsole-"
LOCK_NAME = ".opsconsole-rules.lock"


class ApplyFailed(OpsError, RuntimeError):
    """Prometheus did not take the new rules; the previous files are back. Carries the reason."""

    def __init__(self, reason: str):
        super().__init__(f"rules not applied, previous rules restored: {reason}")
        self.reason = reason


def file_name(group: str) -> str:
    """The file of ``group`` in the rules directory."""
    return f"{FILE_PREFIX}{group}.yml"


def render_files(rules: list[Rule]) -> dict[str, str]:
    """One file per group: name -> YAML text."""
    return {file_name(g): render_groups([r for r in rules if r.group == g]) for g in group_names(rules)}


def expected_groups(rules: list[Rule]) -> dict[str, list[str]]:
    """File name -> the alert names Prometheus must run from it, in order."""
    return {file_name(g): [r.alert for r in rules if r.group == g] for g in group_names(rules)}


def mismatch(expected: dict[str, list[str]], loaded: list[LoadedGroup], directory: Path,
             prefix: str = FILE_PREFIX) -> str | None:
    """Why what Prometheus loaded from our ``prefix`` files in ``directory`` differs from ``expected``
    (None when it matches)."""
    ours = {}
    for group in loaded:
        path = Path(group.file)
        if path.name.startswith(prefix) and _same_dir(path.parent, directory):
            ours[path.name] = group
    for name, alerts in expected.items():
        group = ours.pop(name, None)
        if group is None:
            return f"Prometheus did not load {name} (is {directory} the directory in its rule_files?)"
        if [r.name for r in group.rules] != alerts:
            return f"{name}: Prometheus runs {[r.name for r in group.rules]}, expected {alerts}"
        if group.last_error:
            return f"{name}: {group.last_error}"
    if ours:
        return f"Prometheus still runs {', '.join(sorted(ours))}"
    return None


def _same_dir(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def snapshot(directory: Path, prefix: str = FILE_PREFIX) -> dict[str, str]:
    """The console's ``prefix`` rule files in ``directory``: name -> text."""
    return {p.name: p.read_text() for p in sorted(directory.glob(f"{prefix}*.yml"))}


def write_files(directory: Path, files: dict[str, str], prefix: str = FILE_PREFIX) -> None:
    """Make the console's ``prefix`` files in ``directory`` exactly ``files``: each written atomically, others
    removed."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        tmp = directory / f".{name}.tmp"
        tmp.write_text(text)
        os.replace(tmp, directory / name)
    for path in directory.glob(f"{prefix}*.yml"):
        if path.name not in files:
            path.unlink()


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    # one apply at a time, across workers: a second would snapshot the first's half-written state
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK_NAME, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def apply(rules: list[Rule], directory: Path, api: RulesApi) -> None:
    """Make Prometheus run exactly ``rules`` from ``directory``; ``ApplyFailed`` (files restored) otherwise."""
    apply_files(render_files(rules), expected_groups(rules), directory, api, prefix=FILE_PREFIX)


def apply_files(files: dict[str, str], expected: dict[str, list[str]], directory: Path, api: RulesApi, *,
                prefix: str) -> None:
    """Make the ``prefix`` files in ``directory`` exactly ``files`` and Prometheus run from each the rules
    ``expected`` of it (file name -> rule names); ``ApplyFailed`` (files restored) otherwise."""
    if any(not name.startswith(prefix) for name in files):
        raise ValueError(f"every file must start with {prefix!r}")
    with _locked(directory):
        previous = snapshot(directory, prefix)
        write_files(directory, files, prefix)
        try:
            api.reload()
            reason = mismatch(expected, api.groups(), directory, prefix)
        except BackendError as e:
            reason = str(e)
        if reason is None:
            return
        write_files(directory, previous, prefix)
        try:
            api.reload()
        except BackendError:
            pass  # Prometheus reads the restored files when it comes back
        raise ApplyFailed(reason)


def apply_slos(slos: list[Slo], directory: Path, api: RulesApi, *, scale: float = 1.0) -> None:
    """Make Prometheus run exactly the rules of ``slos`` from their own files in ``directory``, apart from the
    alert rules' files; ``ApplyFailed`` (files restored) otherwise."""
    apply_files(slo_rules.files(slos, scale=scale), slo_rules.expected_rules(slos, scale=scale), directory, api,
                prefix=slo_rules.FILE_PREFIX)
