"""``python -m kexp.diff``: two runs (or two configurations of a sweep) side by side — ``cli.py`` (the
command), ``differences.py`` (what differs and from which epoch).
"""
