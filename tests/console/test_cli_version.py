"""``opsconsole --version`` names the installed release, as a bug report needs."""
from __future__ import annotations

from importlib.metadata import version

from click.testing import CliRunner

from console.cli import main


def test_it_prints_the_installed_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"opsconsole {version('opsconsole')}\n"
