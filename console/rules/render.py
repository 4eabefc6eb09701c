"""Rule groups to and from the YAML Prometheus loads: deterministic, so export → import → export is identical."""
from __future__ import annotations

from collections.abc import Iterable

import yaml
from pydantic import ValidationError

from console.errors import UsageProblem
from console.rules.model import Rule


class _Dumper(yaml.SafeDumper):
    """Block style, with multi-line strings (long expressions) as literal blocks."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def rule_entry(rule: Rule) -> dict:
    """One rule as Prometheus writes it: zero durations and empty maps left out."""
    entry: dict = {"alert": rule.alert, "expr": rule.expr}
    if rule.hold_seconds:
        entry["for"] = rule.for_
    if rule.keep_firing_seconds:
        entry["keep_firing_for"] = rule.keep_firing_for
    if rule.labels:
        entry["labels"] = dict(rule.labels)
    if rule.annotations:
        entry["annotations"] = dict(rule.annotations)
    return entry


def group_names(rules: Iterable[Rule]) -> list[str]:
    """The groups of ``rules`` in the order they first appear."""
    return list(dict.fromkeys(rule.group for rule in rules))


def render_groups(rules: Iterable[Rule]) -> str:
    """A rule file holding ``rules``, grouped by ``group`` in order of first appearance, rules in given order."""
    rules = list(rules)
    groups = [{"name": name, "rules": [rule_entry(r) for r in rules if r.group == name]} for name in group_names(rules)]
    return dump({"groups": groups})


def render_rule(rule: Rule) -> str:
    """One rule alone, as it appears in its group (for diffs between versions)."""
    return dump(rule_entry(rule))


def dump(data: object) -> str:
    """YAML text of ``data``: keys in insertion order, no line folding."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                     width=1 << 16)


def parse_groups(text: str, *, source: str = "rules") -> list[Rule]:
    """The rules of a Prometheus rule file, in file order; ``UsageProblem`` naming ``source`` and the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise UsageProblem(f"{source}: not valid YAML: {e}") from e
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        raise UsageProblem(f"{source}: a rule file is a mapping with a list under 'groups'")
    rules = []
    for g, group in enumerate(data["groups"]):
        if not isinstance(group, dict) or not isinstance(group.get("rules", []), list):
            raise UsageProblem(f"{source}: groups[{g}] must be a mapping with a list under 'rules'")
        extra = set(group) - {"name", "rules"}
        if extra:
            raise UsageProblem(f"{source}: groups[{g}]: unsupported field(s) {', '.join(sorted(extra))}")
        for r, entry in enumerate(group.get("rules") or []):
            where = f"{source}: groups[{g}].rules[{r}]"
            if not isinstance(entry, dict) or "alert" not in entry:
                raise UsageProblem(f"{where}: only alerting rules (with 'alert') are managed here")
            try:
                rules.append(Rule.model_validate({**entry, "group": group.get("name")}))
            except ValidationError as e:
                first = e.errors()[0]
                field = ".".join(str(p) for p in first["loc"]) or "rule"
                raise UsageProblem(f"{where}.{field}: {first['msg']}") from e
    return rules
