"""``python -m kexp.course``: the teaching texts' worked examples — ``cli.py``."""
