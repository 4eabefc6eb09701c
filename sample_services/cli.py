"""``opsconsole services``, ``fault`` and ``load``: the shop's command line."""
from __future__ import annotations

import click
import redis

from console.errors import BackendUnavailable, UsageProblem
from deploy.local.layout import HOST, current, service_port
from sample_services import fault as faults
from sample_services import loadgen, runtime


@click.group()
def services() -> None:
    """Run the shop's replicas on this machine."""


@services.command("up")
@click.option("--replicas", "specs", multiple=True, metavar="NAME=N",
              help="Replicas of one service, e.g. gateway=3 (repeatable); others keep their count, or 1.")
@click.argument("more", nargs=-1, metavar="[NAME=N]...")
def services_up(specs: tuple[str, ...], more: tuple[str, ...]) -> None:
    """Start (or resize to) the requested replicas, behind nginx and scraped by Prometheus.

    ``--replicas gateway=3 orders=2`` works as well as repeating ``--replicas``.
    """
    counts = runtime.parse_replicas(specs + more)
    layout, ports = current()
    for replica in runtime.services_up(layout, ports, counts):
        click.echo(f"{replica.name:<14} {replica.url}")
    click.echo(f"gateway: http://{HOST}:{service_port(ports, 'gateway')}")


@services.command("down")
def services_down() -> None:
    """Stop every replica and the log shipper."""
    layout, _ports = current()
    stopped = runtime.services_down(layout)
    click.echo(f"stopped {len(stopped)}: {', '.join(stopped) or 'nothing was running'}")


@services.command("status")
def services_status() -> None:
    """List the replicas and whether each is healthy."""
    layout, _ports = current()
    rows = runtime.services_status(layout)
    if not rows:
        click.echo("no replicas")
    for row in rows:
        state = "healthy" if row["healthy"] else ("running" if row["running"] else "stopped")
        click.echo(f"{row['name']:<14} {row['url']:<24} {state}")


@click.command()
@click.argument("service")
@click.option("--error-rate", type=float, default=0.0, show_default=True, help="Share of requests answered 500.")
@click.option("--latency-ms", type=int, default=0, show_default=True, help="Delay added to every request.")
@click.option("--clear", is_flag=True, help="Remove the fault.")
def fault(service: str, error_rate: float, latency_ms: int, clear: bool) -> None:
    """Inject errors and latency into a running SERVICE (picked up within a quarter of a second)."""
    wanted = faults.validate_fault(service, 0.0 if clear else error_rate, 0 if clear else latency_ms)
    _layout, ports = current()
    client = redis.Redis(host=HOST, port=ports.redis, socket_timeout=2, socket_connect_timeout=2)
    try:
        if clear:
            faults.clear_fault(client, service)
            click.echo(f"{service}: fault cleared")
        else:
            faults.set_fault(client, service, wanted)
            click.echo(f"{service}: error rate {wanted.error_rate}, latency {wanted.latency_ms} ms")
    except redis.RedisError as e:
        raise BackendUnavailable("redis", f"{HOST}:{ports.redis}: {e}") from e
    finally:
        client.close()


@click.command()
@click.option("--profile", type=click.Choice(loadgen.PROFILES), default="steady", show_default=True)
@click.option("--rps", type=float, required=True, help="Requests per second (the base rate of the profile).")
@click.option("--duration", type=float, required=True, help="Seconds to run.")
@click.option("--url", default=None, help="Gateway URL (default: the stack's nginx port).")
def load(profile: str, rps: float, duration: float, url: str | None) -> None:
    """Send a mix of product reads and checkouts to the gateway and summarise the answers."""
    loadgen.validate(profile, rps, duration)
    if url is None:
        _layout, ports = current()
        url = f"http://{HOST}:{service_port(ports, 'gateway')}"
    summary = loadgen.run_load(url, profile, rps, duration, progress=True)
    for line in summary.lines():
        click.echo(line)


@click.command()
@click.option("--days", type=float, default=7.0, show_default=True, help="How much history.")
@click.option("--step", "step_s", type=int, default=60, show_default=True, help="Seconds between samples.")
@click.option("--peak-rps", type=float, default=20.0, show_default=True, help="The gateway's busiest rate.")
def backfill(days: float, step_s: int, peak_rps: float) -> None:
    """Backfill days of the shop's metrics into the stack's Prometheus, with incidents at known times."""
    from datetime import datetime, timedelta, timezone

    from sample_services import backfill as history

    if days <= 0 or not 1 <= step_s <= 300 or peak_rps <= 0:
        raise UsageProblem("--days and --peak-rps must be > 0, --step within [1, 300] s")
    end = (datetime.now(timezone.utc) - history.HEAD_BLOCK).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=days)
    incidents = history.daily_incidents(start, end)
    layout, ports = current()
    click.echo(f"writing {days:g} days of history ({start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC) ...")
    blocks = history.backfill(layout, ports, start, end, step_s=step_s, peak_rps=peak_rps, incidents=incidents)
    click.echo(f"{blocks} block(s) loaded by Prometheus; incidents at known times:")
    for i in incidents:
        click.echo(f"  {i.start:%Y-%m-%d %H:%M} UTC  {i.service:<9} {i.minutes} min, "
                   f"{i.error_ratio:.0%} errors, latency x{i.latency_factor:g}")
