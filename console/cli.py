"""The ``opsconsole`` command line: one group, a sub-command per area.

Errors in user input print a single ``opsconsole: error: ...`` line and exit 2, so scripts
and people get the reason without a usage dump or a traceback.
"""
from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator

import click

from console.errors import OpsError, UsageProblem


@contextlib.contextmanager
def one_line_errors(prog: str) -> Iterator[None]:
    """Run a command started with ``standalone_mode=False``: its errors print one ``<prog>: error: ...`` line and
    exit 2 for bad input (a UsageProblem), 1 for another of our errors, click's own status for click's."""
    try:
        yield
    except click.exceptions.Abort:
        click.echo(f"{prog}: aborted", err=True)
        sys.exit(1)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        click.echo(f"{prog}: error: {e.format_message()}", err=True)
        sys.exit(e.exit_code)
    except UsageProblem as e:
        click.echo(f"{prog}: error: {e}", err=True)
        sys.exit(2)
    except OpsError as e:
        click.echo(f"{prog}: error: {e}", err=True)
        sys.exit(1)


class OpsGroup(click.Group):
    """A click group whose errors are one line on stderr."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        with one_line_errors("opsconsole"):
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)


# Sub-commands are imported only when run: `opsconsole fault` should not pay for the console's
# web stack, the Elasticsearch client and the Kubernetes client at every start.
COMMANDS = {
    "stack": "deploy.local.cli:stack",
    "services": "sample_services.cli:services",
    "fault": "sample_services.cli:fault",
    "load": "sample_services.cli:load",
    "backfill": "sample_services.cli:backfill",
    "logship": "collectors.logship.cli:logship",
    "serve": "console.serve:serve",
    "demo": "console.demo:demo",
    "token": "console.auth.cli:token",
    "user": "console.auth.cli:user",
    "rules": "console.rules.cli:rules",
    "scale": "console.scaling.cli:scale",
}


class LazyOpsGroup(OpsGroup):
    """An ``OpsGroup`` whose sub-commands are named in ``COMMANDS`` and imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name].split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyOpsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="opsconsole", prog_name="opsconsole", message="%(prog)s %(version)s")
def main() -> None:
    """opsconsole: metrics, logs and traces in one console; alert rules, on-call and autoscaling."""
