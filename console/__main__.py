"""``python -m console`` runs the ``opsconsole`` command line."""
from console.cli import main

main()
