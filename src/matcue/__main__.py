"""``python -m matcue`` runs the command line."""

from matcue.cli.main import entry

entry()
