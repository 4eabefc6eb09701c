"""``opsconsole rules import|export|check [--dir DIR]``: the files under ``rules/alerts`` and the store."""
from __future__ import annotations

import getpass
from pathlib import Path

import click

from console.errors import OpsError, UsageProblem

DEFAULT_DIR = "rules/alerts"


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless one: "1 rule", "3 rules"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def read_dir(directory: Path) -> list:
    """Every rule of the ``*.yml`` files in ``directory``, files in name order."""
    from console.rules.render import parse_groups

    if not directory.is_dir():
        raise UsageProblem(f"{directory} is not a directory")
    return [rule for path in sorted(directory.glob("*.yml")) for rule in parse_groups(path.read_text(), source=str(path))]


def _fail_on(problems: list[str], where: str) -> None:
    """Print each problem and exit 1 when there are any."""
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise OpsError(f"{len(problems)} problem(s) in {where}")


def shipped_for_demo(root: Path) -> str | None:
    """On a console whose store never held an alert rule, import and apply the alert rules of ``root/alerts`` and
    the SLOs of ``root/slo``, so that a fault injected in the demo pages someone; what was done, or None."""
    from console import rules as rules_area
    from console import store
    from console.auth import Principal, record_audit
    from console.auth.cli import console_app
    from console.rules.apply import apply_slos
    from console.rules.manage import import_into_new_store
    from console.rules.slo import read_slos

    found, slos = read_dir(root / "alerts"), read_slos(root / "slo")
    with console_app():
        principal = Principal(name="demo", role="operator", via="cli")
        target = rules_area.target()
        created = import_into_new_store(store.session(), target, found, actor=principal.actor)
        if created is None:
            return None
        apply_slos(slos, target.rules_directory(), target.api)
        record_audit(principal=principal, action="rules.import", target=f"rules:{root}", result="ok", source="cli",
                     detail={"created": created, "slos": [s.name for s in slos]})
    return f"{created} alert rules from {root / 'alerts'} and {len(slos)} SLOs applied"


@click.group()
def rules() -> None:
    """Alert rules: import files into the console, export them back, check them with promtool."""


@rules.command("check")
@click.option("--dir", "directory", default=DEFAULT_DIR, show_default=True, type=click.Path(path_type=Path))
def check(directory: Path) -> None:
    """Parse every rule file and run promtool on each group; exit 1 listing the problems."""
    from console.rules.promtool import check_rules
    from console.rules.render import group_names

    found = read_dir(directory)
    _fail_on([f"{group}: {p.field}: {p.message}" for group in group_names(found)
              for p in check_rules([r for r in found if r.group == group])], f"the rules under {directory}")
    click.echo(f"opsconsole: {counted(len(found), 'rule')} in {counted(len(group_names(found)), 'group')} "
               f"{'is' if len(found) == 1 else 'are'} valid", err=True)


@rules.command("import")
@click.option("--dir", "directory", default=DEFAULT_DIR, show_default=True, type=click.Path(path_type=Path))
@click.option("--apply/--no-apply", default=True, show_default=True, help="Reload Prometheus with the result.")
def import_(directory: Path, apply: bool) -> None:
    """Store the rules of the files (new versions where they changed) and apply them to Prometheus."""
    from console import rules as rules_area
    from console import store
    from console.auth import Principal, record_audit
    from console.auth.cli import console_app
    from console.rules.manage import import_rules

    found = read_dir(directory)
    with console_app():
        principal = Principal(name=getpass.getuser(), role="operator", via="cli")
        target = rules_area.target() if apply else None
        created, updated = import_rules(store.session(), target, found, actor=principal.actor)
        record_audit(principal=principal, action="rules.import", target=f"rules:{directory}", result="ok",
                     source="cli", detail={"created": created, "updated": updated})
    click.echo(f"opsconsole: imported {counted(len(found), 'rule')}: {created} new, {updated} changed", err=True)


@rules.command("export")
@click.option("--dir", "directory", default=DEFAULT_DIR, show_default=True, type=click.Path(path_type=Path))
def export(directory: Path) -> None:
    """Write the stored rules to ``<dir>/<group>.yml``, one file per group."""
    from console import store
    from console.auth.cli import console_app
    from console.rules import versions
    from console.rules.render import group_names, render_groups

    with console_app():
        stored = [versions.to_rule(row) for row in versions.active(store.session())]
    directory.mkdir(parents=True, exist_ok=True)
    for group in group_names(stored):
        path = directory / f"{group}.yml"
        path.write_text(render_groups([r for r in stored if r.group == group]))
        click.echo(str(path))


SLO_DIR = "rules/slo"


@rules.group()
def slo() -> None:
    """SLOs: their recording rules and burn-rate alerts, generated from ``rules/slo/*.yml``."""


@slo.command("check")
@click.option("--dir", "directory", default=SLO_DIR, show_default=True, type=click.Path(path_type=Path))
def slo_check(directory: Path) -> None:
    """Generate each SLO's rules and run promtool on them; exit 1 listing the problems."""
    from console.rules.promtool import check_text
    from console.rules.slo import files, read_slos

    found = read_slos(directory)
    _fail_on([f"{name}: {p.message}" for name, text in files(found).items() for p in check_text(text)],
             f"the rules of the SLOs under {directory}")
    click.echo(f"opsconsole: {len(found)} SLOs generate valid rules", err=True)


@slo.command("render")
@click.option("--dir", "directory", default=SLO_DIR, show_default=True, type=click.Path(path_type=Path))
def slo_render(directory: Path) -> None:
    """Print the rule files the SLOs generate."""
    from console.rules.slo import files, read_slos

    for name, text in files(read_slos(directory)).items():
        click.echo(f"# {name}\n{text}")


@slo.command("apply")
@click.option("--dir", "directory", default=SLO_DIR, show_default=True, type=click.Path(path_type=Path))
def slo_apply(directory: Path) -> None:
    """Put the SLOs' rules where Prometheus loads them and reload it; the previous ones stay on failure."""
    from console import rules as rules_area
    from console.auth import Principal, record_audit
    from console.auth.cli import console_app
    from console.rules.apply import apply_slos
    from console.rules.promtool import check_text
    from console.rules.slo import files, read_slos

    found = read_slos(directory)
    problems = [p.message for text in files(found).values() for p in check_text(text)]
    if problems:
        raise OpsError(f"promtool refuses the generated rules: {problems[0]}")
    with console_app():
        target = rules_area.target()
        apply_slos(found, target.rules_directory(), target.api)
        record_audit(principal=Principal(name=getpass.getuser(), role="operator", via="cli"), action="slo.apply",
                     target=f"slo:{directory}", result="ok", source="cli", detail={"slos": [s.name for s in found]})
    click.echo(f"opsconsole: {len(found)} SLOs applied", err=True)
