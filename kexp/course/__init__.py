"""``python -m kexp.course``: the teaching texts' worked examples (see :mod:`kexp.cli.course`)."""
