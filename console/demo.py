"""``opsconsole demo``: the whole product on one machine, in one command.

Starts (or reuses) the loopback stack, the shop with three gateway replicas and one of each
other service, a bounded background load, and the console, then prints where to look.
On the first run it also imports the repository's alert rules and applies its SLOs. Every step is
idempotent, so a second ``make demo`` reuses what is already running; only a console whose code
changed since it started (a ``git pull``) is restarted.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click
import httpx

from collectors.file_sd import write_targets
from console.errors import StartError
from console.rules.cli import shipped_for_demo
from deploy.local import process
from deploy.local.alerting import route_to_console
from deploy.local import stack as local_stack
from deploy.local.layout import HOST, Layout, Ports, current, service_port

DEMO_REPLICAS = {"gateway": 3, "catalog": 1, "orders": 1, "inventory": 1, "payments": 1}
# The demo's background load is bounded in time like every loop we run: two hours.
DEMO_LOAD = ("--profile", "steady", "--rps", "8", "--duration", "7200")
SHIPPED_RULES = Path(__file__).resolve().parents[1] / "rules"  # the repository's alert rules and SLOs
CONSOLE_CODE = Path(__file__).resolve().parent  # its templates and static files included


def register_own_targets(layout: Layout, ports: Ports) -> None:
    """Let Prometheus scrape the console and the log shipper."""
    write_targets(
        layout.file_sd / "opsconsole.json",
        [
            {"targets": [f"{HOST}:{ports.console}"], "labels": {"component": "console"}},
            {"targets": [f"{HOST}:{ports.logship_metrics}"], "labels": {"component": "logship"}},
        ],
    )


def wait_healthy(url: str, part: str, *, timeout: float = 30.0) -> None:
    """Poll ``url`` until it answers 200, or raise ``StartError`` naming ``part``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise StartError(part, f"{url} did not answer 200 within {timeout:.0f} s")
        time.sleep(0.3)


def start_background(layout: Layout, name: str, args: tuple[str, ...], env: dict[str, str] | None = None, *,
                     code: Path | None = None) -> str:
    """Start ``python -m console ARGS`` detached unless it already runs: "started" or "running". With ``code``, one
    that runs but started before the last change under ``code`` is stopped and started again: "restarted"."""
    stamp_file = layout.run / f"{name}.code"
    stamp = code_stamp(code) if code is not None else None
    outcome = "started"
    if process.is_running(layout, name):
        if stamp is None or (stamp_file.exists() and stamp_file.read_text() == stamp):
            return "running"
        process.stop(layout, name)
        outcome = "restarted"
    process.start(layout, name, [sys.executable, "-m", "console", *args], env=env)
    if stamp is not None:
        stamp_file.write_text(stamp)
    return outcome


def demo_counts(running: set[str]) -> dict[str, int]:
    """The replicas to ask of the services not ``running``; a running one keeps the count the scaling loop or an
    operator chose since (a second ``make demo`` put the gateway back to 3 behind the loop's back)."""
    return {service: n for service, n in DEMO_REPLICAS.items() if service not in running}


def code_stamp(root: Path) -> str:
    """The time of the newest change under ``root``, compiled files left out: a process that started earlier
    serves older code (templates cached, static files read afresh, so pages break halfway)."""
    return str(max((p.stat().st_mtime_ns for p in root.rglob("*")
                    if "__pycache__" not in p.parts and p.is_file()), default=0))


def login_hint(shown: str | None) -> str:
    """How to log in: as the admin whose password this run showed, else with a user made before (whose password
    the CLI sets anew when forgotten)."""
    if shown:
        return f"log in as {shown} with the password shown above"
    return "log in as a console user (a forgotten password: opsconsole user password NAME)"


@click.command()
@click.option("--no-load", is_flag=True, help="Do not start the background load.")
def demo(no_load: bool) -> None:
    """Start the stack, the shop with load and the console; print the URL."""
    from console.auth.cli import first_admin
    from sample_services.runtime import live_replicas, services_up

    layout, ports = current()
    local_stack.up(layout, ports, wait=True)
    services_up(layout, ports, demo_counts({r.service for r in live_replicas(layout)}))
    register_own_targets(layout, ports)
    gateway = f"http://{HOST}:{service_port(ports, 'gateway')}"
    if not no_load:
        start_background(layout, "loadgen", ("load", "--url", gateway, *DEMO_LOAD))
    # here, not in the background console: a generated password must reach the terminal, not its log
    shown = first_admin()
    shipped = shipped_for_demo(SHIPPED_RULES) if SHIPPED_RULES.is_dir() else None
    if shipped:
        click.echo(f"opsconsole: first run: {shipped}", err=True)
    console_url = f"http://{HOST}:{ports.console}/"
    # the stack's Alertmanager notifies this console, which takes the token kept in the home
    token = route_to_console(layout, ports, console_url)
    if start_background(layout, "console", ("serve", "--port", str(ports.console)),
                        env={"OPSCONSOLE_ALERTMANAGER_TOKEN": token}, code=CONSOLE_CODE) == "restarted":
        click.echo("opsconsole: the console's code changed since it started: restarted it", err=True)
    wait_healthy(console_url + "healthz", "console")

    click.echo("")
    click.secho(f"opsconsole is running: {console_url}", bold=True)
    click.echo(f"  shop gateway (nginx)  {gateway}")
    click.echo(f"  Prometheus            http://{HOST}:{ports.prometheus}")
    click.echo(f"  Alertmanager          http://{HOST}:{ports.alertmanager}")
    click.echo(f"  Elasticsearch         http://{HOST}:{ports.elasticsearch}")
    click.echo(f"  Jaeger query API      http://{HOST}:{ports.jaeger_query}")
    click.echo(f"  {login_hint(shown)}")
    click.echo("  stop everything with: opsconsole stack down")
