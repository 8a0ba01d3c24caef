"""``python -m kexp.compare``: the entry point only; the command is :mod:`kexp.cli.compare`."""
