"""``python -m collectors.logship --config FILE [--once]``, with the same one-line errors as ``opsconsole``."""
from __future__ import annotations

from collectors.logship.cli import logship
from console.cli import one_line_errors


def main() -> None:
    """Run the ``logship`` command; a UsageProblem exits 2, another of our errors 1, each on one line."""
    with one_line_errors("logship"):
        logship.main(prog_name="logship", standalone_mode=False)


if __name__ == "__main__":
    main()
