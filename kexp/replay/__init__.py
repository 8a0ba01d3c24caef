"""``python -m kexp.replay``: run a finished run again (see :mod:`kexp.cli.replay`)."""
