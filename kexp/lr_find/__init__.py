"""``python -m kexp.lr_find``: the entry point only; the command is :mod:`kexp.cli.lr_find`."""
