"""``python -m kexp.predict``: the entry point only; the command is :mod:`kexp.cli.predict`."""
