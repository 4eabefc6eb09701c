"""Silence matchers as people write them, one a line, in Alertmanager's own syntax (``amtool``, its UI):
``name="value"``, ``name!="value"``, ``name=~"regex"``, ``name!~"regex"`` (pure).
"""
from __future__ import annotations

import re

from console.backends.alertmanager import Matcher

__all__ = ["format_matcher", "parse_matchers"]

_LINE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*')
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n"}


def parse_matchers(text: str) -> list[Matcher]:
    """The matchers of ``text``, one a line (blank lines skipped); ``ValueError`` naming the first bad line."""
    matchers = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        found = _LINE.fullmatch(line)
        if found is None:
            raise ValueError(f'line {number}: write name="value" (or !=, =~, !~ before a quoted value): '
                             f"{line.strip()[:80]}")
        name, operator, quoted = found.groups()
        try:
            value = re.sub(r"\\(.)", lambda m: _ESCAPES[m[1]], quoted)
        except KeyError as e:
            raise ValueError(f"line {number}: unknown escape \\{e.args[0]} in the value") from e
        matchers.append(Matcher(name, value, is_regex="~" in operator, is_equal=not operator.startswith("!")))
    return matchers


def format_matcher(matcher: Matcher) -> str:
    """``matcher`` as one line that ``parse_matchers`` reads back."""
    operator = ("=" if matcher.is_equal else "!=") if not matcher.is_regex else ("=~" if matcher.is_equal else "!~")
    value = matcher.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'{matcher.name}{operator}"{value}"'
