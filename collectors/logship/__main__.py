"""``python -m collectors.logship --config FILE [--once]``, with the same one-line errors as ``opsconsole``."""
from __future__ import annotations

import sys

import click

from collectors.logship.cli import logship
from console.errors import OpsError, UsageProblem


def main() -> None:
    """Run the ``logship`` command; a UsageProblem exits 2, another of our errors 1, each on one line."""
    try:
        logship.main(prog_name="logship", standalone_mode=False)
    except click.ClickException as e:
        click.echo(f"logship: error: {e.format_message()}", err=True)
        sys.exit(e.exit_code)
    except UsageProblem as e:
        click.echo(f"logship: error: {e}", err=True)
        sys.exit(2)
    except OpsError as e:
        click.echo(f"logship: error: {e}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
