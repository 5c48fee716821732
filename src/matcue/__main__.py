"""``python -m matcue`` runs the command line."""

from .cli import entry

entry()
