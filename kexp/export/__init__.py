"""``python -m kexp.export``: the entry point only; the command is :mod:`kexp.cli.export`."""
