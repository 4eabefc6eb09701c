"""``python -m sample_services.seed``: fill the local stack's Jaeger and Elasticsearch with an hour of shop
telemetry (1 000 000 log lines and 100 000 spans by default)."""
from __future__ import annotations

import random
import time

import click

from deploy.local.layout import HOST, current
from sample_services.seed.load import seed


@click.command()
@click.option("--lines", type=click.IntRange(1, 20_000_000), default=1_000_000, show_default=True,
              help="Log lines to write to Elasticsearch.")
@click.option("--spans", type=click.IntRange(8, 2_000_000), default=100_000, show_default=True,
              help="Spans to send to Jaeger (whole traces of 5 to 7 spans).")
@click.option("--minutes", type=click.IntRange(1, 24 * 60), default=60, show_default=True,
              help="The traces start over this many minutes up to now.")
@click.option("--seed", "seed_value", type=int, default=None, help="Random seed  [default: a new one]")
@click.option("--elasticsearch", "es_url", default=None, help="Elasticsearch URL  [default: the local stack's]")
@click.option("--otlp", "otlp_url", default=None, help="OTLP/HTTP traces URL  [default: the local stack's Jaeger]")
def main(lines: int, spans: int, minutes: int, seed_value: int | None, es_url: str | None,
         otlp_url: str | None) -> None:
    """Send made-up traces of the shop's five services and their log lines, spread over the last MINUTES."""
    _layout, ports = current()
    es_url = es_url or f"http://{HOST}:{ports.elasticsearch}"
    otlp_url = otlp_url or f"http://{HOST}:{ports.jaeger_otlp_http}/v1/traces"
    seed_value = random.randrange(1 << 32) if seed_value is None else seed_value
    click.echo(f"seed {seed_value}: to {otlp_url} and {es_url}", err=True)
    started = time.monotonic()
    done = seed(es_url, otlp_url, lines=lines, spans=spans, seed=seed_value, end_ns=time.time_ns(),
                window_s=minutes * 60)
    click.echo(f"{done.traces} traces ({done.spans} spans) and {done.lines} log lines in "
               f"{time.monotonic() - started:.0f} s; e.g. trace {done.sample_trace_ids[-1]}")


if __name__ == "__main__":
    main()
