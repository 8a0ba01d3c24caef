"""``python -m kexp.diff``: two runs side by side (see :mod:`kexp.cli.diff`)."""
