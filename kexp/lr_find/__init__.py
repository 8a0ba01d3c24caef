"""``python -m kexp.evaluate``: the entry point only; the command is :mod:`kexp.cli.evaluate`."""
