"""``opsconsole stack up|status|down``: the native loopback stack from the command line."""
from __future__ import annotations

import dataclasses
import json
import sys

import click
from rich.console import Console
from rich.table import Table

from deploy.local import install, kubebuild
from deploy.local import stack as local_stack
from deploy.local.layout import Layout, Ports, current, home_dir, load_ports


@click.group("stack")
def stack() -> None:
    """Run Prometheus, Alertmanager, Elasticsearch, Jaeger, nginx and Redis (and Kubernetes) on loopback."""


@stack.command("up")
@click.option("--wait/--no-wait", default=False, help="Wait until every part is healthy.")
@click.option("--with", "extras", multiple=True, type=click.Choice(["kubernetes"]),
              help="Also start an optional part.")
@click.option("--jaeger-storage", type=click.Choice(["memory", "elasticsearch"]), default="memory",
              show_default=True, help="Where Jaeger keeps traces.")
def up(wait: bool, extras: tuple[str, ...], jaeger_storage: str) -> None:
    """Install what is missing and start every part that is not running."""
    layout = Layout(home_dir())
    # Saved ports first (a second `up` finds the same stack), then the environment's overrides.
    ports = Ports.from_env(load_ports(layout))
    console = Console(stderr=True)
    done = local_stack.up(layout, ports, wait=wait, jaeger_storage=jaeger_storage, extras=extras, console=console)
    if "kubernetes" in extras:
        console.print(f"kubeconfig: {layout.kubeconfig}")
    for line in done or ["nothing to do: every part is running"]:
        console.print(line)


@stack.command("install")
@click.option("--with", "extras", multiple=True, type=click.Choice(["kubernetes"]),
              help="Also build an optional part.")
def install_(extras: tuple[str, ...]) -> None:
    """Install or build whatever part is missing, without starting anything."""
    console = Console(stderr=True)
    done = install.install_all(console)
    if "kubernetes" in extras:
        done += kubebuild.ensure_kubernetes(console)
    for line in done or ["nothing to install: every part is in place"]:
        console.print(line)


@stack.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of {name, url, healthy}.")
def status(as_json: bool) -> None:
    """Show each part's URL and health; exit 1 if any part is unhealthy."""
    layout, ports = current()
    parts = local_stack.status(layout, ports)
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(p) for p in parts]))
    else:
        table = Table("part", "url", "health")
        for p in parts:
            table.add_row(p.name, p.url, "[green]healthy[/]" if p.healthy else "[red]down[/]")
        Console().print(table)
    if not all(p.healthy for p in parts):
        sys.exit(1)


@stack.command("down")
def down() -> None:
    """Stop every process started under this home."""
    layout, _ = current()
    console = Console(stderr=True)
    with console.status("stopping"):
        stopped = local_stack.down(layout)
    for line in stopped or ["nothing was running"]:
        console.print(line)
