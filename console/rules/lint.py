"""Checks of a rule against the live Prometheus, in the spirit of cloudflare/pint.

Does each metric the expression names have series; does the expression return any series
now or over the last hours; are the labels of ``by``/``on`` and of the annotation templates
on those series; are ``rate``/``irate``/``increase`` only applied to counters; is ``for``
at least one evaluation interval. The text scanning is pure and tested on its own; ``lint``
feeds it what Prometheus answers.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from console.backends.prometheus import Prometheus
from console.errors import BackendError, BackendUnavailable
from console.rules.model import Rule
from console.rules.prom import RulesApi
from console.rules.promtool import ERROR, WARNING, Problem

IDENT = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
                      "offset", "atan2", "inf", "nan", "start", "end"})
COUNTER_FUNCTIONS = ("rate", "irate", "increase")
# series of these suffixes count up even when the metadata names the family, not the series
COUNTER_SUFFIXES = ("_total", "_count", "_sum", "_bucket")
GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
TEMPLATE_LABEL = re.compile(r"(?:\$labels|\.Labels)\.(" + IDENT + ")")


def _strip(expr: str) -> str:
    """``expr`` without string literals, matcher and range contents, or comments."""
    expr = re.sub(r"#[^\n]*", " ", expr)
    expr = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', expr)
    expr = re.sub(r"\{[^}]*\}", "{}", expr)
    return re.sub(r"\[[^\]]*\]", "[]", expr)


def metric_names(expr: str) -> list[str]:
    """The metric names ``expr`` selects, in order of appearance."""
    text = GROUPING.sub(" ", _strip(expr))
    names = [m[1] for m in re.finditer(rf"(?<![\w:.])({IDENT})(?![\w:])(?!\s*\()", text)]
    return list(dict.fromkeys(n for n in names if n.lower() not in KEYWORDS))


def counter_arguments(expr: str) -> list[tuple[str, str]]:
    """``(function, metric)`` for each ``rate``/``irate``/``increase`` applied directly to a selector."""
    pattern = rf"\b({'|'.join(COUNTER_FUNCTIONS)})\s*\(\s*({IDENT})\s*(?:\{{\}})?\s*\[\]"
    return [(m[1], m[2]) for m in re.finditer(pattern, _strip(expr))]


def grouping_labels(expr: str) -> list[str]:
    """Label names in ``by``/``on`` clauses (the ones that must exist for the grouping to mean anything)."""
    found = []
    for clause, names in GROUPING.findall(_strip(expr)):
        if clause in ("by", "on"):
            found += [n.strip() for n in names.split(",") if n.strip()]
    return list(dict.fromkeys(found))


def template_labels(templates: dict[str, str]) -> dict[str, list[str]]:
    """For each template (annotation) that uses ``$labels.X``, the label names it uses."""
    used = {key: list(dict.fromkeys(TEMPLATE_LABEL.findall(text))) for key, text in templates.items()}
    return {key: names for key, names in used.items() if names}


def counter_problems(pairs: Iterable[tuple[str, str]], types: dict[str, str]) -> list[Problem]:
    """Rate-like functions over a metric whose metadata (or name) says it is no counter."""
    problems = []
    for function, metric in pairs:
        family = re.sub(r"(_total|_count|_sum|_bucket)$", "", metric)
        kind = types.get(metric) or types.get(family)
        if kind == "gauge":
            problems.append(Problem("expr", ERROR, f"{function}() over {metric}, a gauge: use deriv() or delta()"))
        elif kind is None and not metric.endswith(COUNTER_SUFFIXES):
            problems.append(Problem("expr", WARNING, f"{function}() over {metric}, which is not known as a counter"))
    return problems


def hold_problems(rule: Rule, interval: float) -> list[Problem]:
    """A ``for`` shorter than one evaluation interval acts like no ``for`` at all."""
    if 0 < rule.hold_seconds < interval:
        return [Problem("for", WARNING, f"'for' {rule.for_} is shorter than the evaluation interval ({interval:g}s)")]
    return []


def label_problems(rule: Rule, *, grouping_seen: set[str] | None, output_seen: set[str] | None) -> list[Problem]:
    """Labels used in ``by``/``on`` or in templates that the observed series do not carry."""
    problems = []
    if grouping_seen:
        for name in grouping_labels(rule.expr):
            if name not in grouping_seen:
                problems.append(Problem("expr", WARNING, f"no series of the expression's metrics has label {name!r}"))
    if output_seen is not None:
        available = output_seen | set(rule.labels)
        for key, names in template_labels(rule.annotations).items():
            for name in names:
                if name not in available:
                    problems.append(Problem(f"annotations.{key}", WARNING,
                                            f"$labels.{name} is not on the series the expression returns"))
    return problems


def lint(rule: Rule, *, prometheus: Prometheus, api: RulesApi, now: float, lookback_hours: float = 6,
         interval: float) -> list[Problem]:
    """Every live finding about ``rule``; an unreachable Prometheus is reported, not raised."""
    start = now - lookback_hours * 3600
    try:
        problems = hold_problems(rule, interval)
        seen_labels: set[str] = set()
        for name in metric_names(rule.expr):
            labels = api.label_names([name], start, now)
            if not labels:
                problems.append(Problem("expr", WARNING, f"metric {name} has no series in the last {lookback_hours:g}h"))
            seen_labels |= labels
        problems += counter_problems(counter_arguments(rule.expr), api.metadata())
        output = _output_labels(rule.expr, prometheus, start, now)
        if output is None:
            problems.append(Problem("expr", WARNING, f"returns no series now nor in the last {lookback_hours:g}h: "
                                                     "it would not have fired"))
        problems += label_problems(rule, grouping_seen=seen_labels, output_seen=output)
    except BackendUnavailable as e:
        return [Problem("rule", WARNING, f"live checks skipped: {e}")]
    except BackendError as e:
        return [Problem("expr", ERROR, f"Prometheus refused the expression: {e.detail}")]
    return problems


def _output_labels(expr: str, prometheus: Prometheus, start: float, end: float) -> set[str] | None:
    """Label names on what ``expr`` returns now, else over ``start..end``; None when it returns nothing."""
    samples = prometheus.query(expr, end)
    if samples:
        return {name for s in samples for name in s.labels}
    # about 120 points across the window: enough to see whether it ever returned anything
    series = prometheus.query_range(expr, start, end, max((end - start) / 120, 1.0))
    if series:
        return {name for s in series for name in s.labels}
    return None
