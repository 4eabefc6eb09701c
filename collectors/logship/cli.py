"""``opsconsole logship --config FILE [--once]``: run the log shipper in the foreground."""
from __future__ import annotations

import logging
import signal
from pathlib import Path

import click

from collectors.logship.config import load_config
from collectors.logship.metrics import Metrics
from collectors.logship.shipper import Shipper

__all__ = ["logship", "run"]

ONCE_RETRY_LIMIT = 8  # about 25 s of backoff before a one-shot run gives up


def run(config_path: Path, *, once: bool = False) -> None:
    """Load the config, serve metrics, ship (until SIGTERM/SIGINT, or once), then stop serving."""
    config = load_config(config_path)
    metrics = Metrics()
    metrics.serve(config.metrics.host, config.metrics.port)
    shipper = Shipper(config, metrics=metrics, retry_limit=ONCE_RETRY_LIMIT if once else None)
    previous = {sig: signal.signal(sig, lambda *_: shipper.stop()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        shipper.run(once=once)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        metrics.close()


@click.command("logship")
@click.option("--config", "config_path", required=True, type=click.Path(path_type=Path), help="The shipper's YAML config.")
@click.option("--once", is_flag=True, help="Ship every complete line present, then exit.")
def logship(config_path: Path, once: bool) -> None:
    """Ship service log files to Elasticsearch (tail, parse, batch, _bulk, checkpoint)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s logship %(levelname)s %(message)s")
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)  # one line per request is noise
    run(config_path, once=once)
