"""The ``opsconsole`` command line: one group, a sub-command per area.

Errors in user input print a single ``opsconsole: error: ...`` line and exit 2, so scripts
and people get the reason without a usage dump or a traceback.
"""
from __future__ import annotations

import sys

import click

from console.errors import OpsError, UsageProblem


class OpsGroup(click.Group):
    """A click group whose errors are one line on stderr."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            click.echo("opsconsole: aborted", err=True)
            sys.exit(1)
        except click.exceptions.Exit as e:
            sys.exit(e.exit_code)
        except click.ClickException as e:
            click.echo(f"opsconsole: error: {e.format_message()}", err=True)
            sys.exit(e.exit_code)
        except UsageProblem as e:
            click.echo(f"opsconsole: error: {e}", err=True)
            sys.exit(2)
        except OpsError as e:
            click.echo(f"opsconsole: error: {e}", err=True)
            sys.exit(1)


@click.group(cls=OpsGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """opsconsole: metrics, logs and traces in one console; alert rules, on-call and autoscaling."""


def _register() -> None:
    from collectors.logship.cli import logship
    from console.auth.cli import token, user
    from console.demo import demo
    from console.rules.cli import rules
    from console.scaling.cli import scale
    from console.serve import serve
    from deploy.local.cli import stack
    from sample_services.cli import fault, load, services

    for command in (stack, services, fault, load, logship, serve, demo, token, user, rules, scale):
        main.add_command(command)


_register()
