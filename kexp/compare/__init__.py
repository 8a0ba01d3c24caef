"""``python -m kexp.compare``: any runs compared — ``cli.py`` (the command); the comparison itself is
shared with the end-of-sweep callback and lives in :mod:`kexp.reporting.compare`.
"""
