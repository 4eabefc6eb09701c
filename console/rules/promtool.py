"""``promtool check rules`` on a rendered group, its complaints mapped back to the rule's fields."""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from console.errors import OpsError
from console.rules.model import Rule
from console.rules.render import render_groups

ERROR = "error"
WARNING = "warning"
TIMEOUT = 30

# promtool's phrases and the field each one is about, most specific first
FIELDS = (
    (re.compile(r'annotation "([^"]+)"'), lambda m: f"annotations.{m[1]}"),
    (re.compile(r'label "([^"]+)"'), lambda m: f"labels.{m[1]}"),
    (re.compile(r"keep_firing_for"), lambda m: "keep_firing_for"),
    (re.compile(r"could not parse expression|field expr|expression"), lambda m: "expr"),
    (re.compile(r"invalid alert name"), lambda m: "alert"),
    (re.compile(r"duration"), lambda m: "for"),
)


@dataclass(frozen=True)
class Problem:
    """One finding about a rule: which field, how bad, and what is wrong."""

    field: str
    severity: str
    message: str

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return {"field": self.field, "severity": self.severity, "message": self.message}


class PromtoolMissing(OpsError, RuntimeError):
    """The promtool binary is not installed."""


def promtool_path() -> str:
    """Where promtool is; ``PromtoolMissing`` when it is not on PATH."""
    path = shutil.which("promtool")
    if path is None:
        raise PromtoolMissing("promtool is not installed (it comes with the prometheus package)")
    return path


def field_of(message: str) -> str:
    """The rule field a promtool message is about (``rule`` when it names none)."""
    for pattern, field in FIELDS:
        match = pattern.search(message)
        if match:
            return field(match)
    return "rule"


def parse_output(output: str) -> list[Problem]:
    """The problems in promtool's output: one per failure line, the file and group prefix stripped."""
    problems = []
    for line in output.splitlines():
        line = line.strip()
        if not line or line.startswith(("Checking ", "FAILED", "SUCCESS")):
            continue
        # "<file>: [line:col: ]group "g", rule 1, "A": <message>" -> "<message>"
        message = re.sub(r'^\S+\.yml:\s*(\d+:\d+:\s*)?', "", line)
        message = re.sub(r'^group "[^"]*", rule \d+, "[^"]*":\s*', "", message)
        problems.append(Problem(field_of(message), ERROR, message))
    return problems


def check_rules(rules: list[Rule]) -> list[Problem]:
    """What promtool finds wrong with ``rules`` rendered as one file; empty when it passes."""
    return check_text(render_groups(rules))


def check_text(text: str) -> list[Problem]:
    """What promtool finds wrong with the rule file ``text``; empty when it passes."""
    with tempfile.TemporaryDirectory(prefix="opsconsole-rules-") as tmp:
        path = Path(tmp) / "check.yml"
        path.write_text(text)
        result = subprocess.run([promtool_path(), "check", "rules", str(path)], capture_output=True, text=True,
                                timeout=TIMEOUT, check=False)
    if result.returncode == 0:
        return []
    return parse_output(result.stderr + result.stdout) or [
        Problem("rule", ERROR, f"promtool failed with status {result.returncode}")]
